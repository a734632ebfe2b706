// spacelog/sim: the simulated disk (DESIGN section 8). Its API arrives with the log issue; the
// subpath resolves now so that imports written against it do not move later.
export {};
