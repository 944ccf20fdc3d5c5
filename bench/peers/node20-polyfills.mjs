// PostGraphile 5 declares Node >= 22; on this project's Node 20 the only missing piece it uses is
// Promise.withResolvers (without it every connection answers "Unknown error occurred").
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new this((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}
