/**
 * `node -r ./scripts/lib/lazy-pulumi-closure.js`: defers the two modules of
 * @pulumi/pulumi that serialize JavaScript closures (runtime/closure/
 * serializeClosure and runtime/closure/codePaths) until one of their
 * functions is first called.
 *
 * @pulumi/pulumi's runtime/index.js loads both eagerly, and with them the
 * TypeScript compiler (to parse functions) and @npmcli/arborist (to find the
 * packages a function uses): 0.85 s of the 1.35 s of CPU it took to load
 * @pulumi/policy on this 2-core machine, and every process that loads the SDK
 * pays it — a policy pack twice per release (the gate's preview and the up),
 * the release engine, the release web UI. None of them serializes a closure
 * (no dynamic providers, no function serialization); if one ever does, the
 * real module is loaded on that first call and behaves as before.
 *
 * runtime/index.js only copies the functions out of these modules
 * (`exports.serializeFunction = serializeClosure_1.serializeFunction`), so
 * each property read returns a stand-in function that loads the module and
 * calls the real one.
 */
"use strict";
const Module = require("module");

const DEFERRED = new Set(["./closure/serializeClosure", "./closure/codePaths"]);
const SDK_RUNTIME_INDEX = /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]index\.js$/;

const load = Module._load;
Module._load = function lazyPulumiClosure(request, parent, isMain) {
  if (!DEFERRED.has(request) || !parent || !SDK_RUNTIME_INDEX.test(parent.filename ?? "")) {
    return load.apply(this, arguments);
  }
  let real;
  const module = () => (real ??= load.call(Module, request, parent, isMain));
  return new Proxy(
    {},
    {
      get: (_, name) =>
        function deferredClosureFunction(...args) {
          return module()[name].apply(this, args);
        },
    },
  );
};
