// Preloaded (node --require) into the CLI by tests: counts the 'abort'
// listeners each AbortSignal holds at once, and at exit writes the most any
// one signal held to stderr as `abort-listeners-max=N`. A loop that adds a
// listener per round and never removes it shows as N growing with the rounds.
'use strict';
const fs = require('node:fs');

const live = new WeakMap();
let max = 0;
const add = EventTarget.prototype.addEventListener;
const remove = EventTarget.prototype.removeEventListener;
EventTarget.prototype.addEventListener = function (type, listener, options) {
  if (this instanceof AbortSignal && type === 'abort' && listener) {
    let set = live.get(this);
    if (!set) live.set(this, (set = new Set()));
    set.add(listener);
    max = Math.max(max, set.size);
  }
  return add.call(this, type, listener, options);
};
EventTarget.prototype.removeEventListener = function (type, listener, options) {
  if (this instanceof AbortSignal && type === 'abort') live.get(this)?.delete(listener);
  return remove.call(this, type, listener, options);
};
process.on('exit', () => {
  fs.writeSync(2, `abort-listeners-max=${max}\n`);
});
