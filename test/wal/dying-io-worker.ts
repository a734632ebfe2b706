// For log-honest-failures.test.ts: an I/O worker that dies of an uncaught error before it says
// ready, as a worker whose imports or core fail to load would.
throw new Error("the test worker refuses to start");
