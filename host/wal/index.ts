// spacelog/wal: the log alone (DESIGN section 5). Its API arrives with the log issue; the subpath
// resolves now so that imports written against it do not move later.
export {};
