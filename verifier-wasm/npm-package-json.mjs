// Writes the npm package.json of zkinfer-verifier to stdout, from `cargo metadata` on stdin, so
// the name, version, description and license always match verifier-wasm/Cargo.toml.
// Run by scripts/build-wasm.sh; the layout it describes is the one that script assembles.
import { readFileSync } from "node:fs";

const metadata = JSON.parse(readFileSync(0, "utf8"));
const crate = metadata.packages.find((p) => p.name === "zkinfer-verifier");
if (!crate) {
  console.error("npm-package-json: cargo metadata has no package zkinfer-verifier");
  process.exit(1);
}

const entry = (dir) => ({
  types: `./${dir}/zkinfer_verifier.d.ts`,
  default: `./${dir}/zkinfer_verifier.js`,
});

const pkg = {
  name: crate.name,
  version: crate.version,
  description: crate.description,
  license: crate.license,
  type: "module",
  // "." is the single-threaded build (runs anywhere); "./threaded" needs a cross-origin
  // isolated page and a Worker (README). The .wasm files are exported too, so that Node and
  // bundlers can locate them (e.g. import.meta.resolve) to pass their bytes to init.
  exports: {
    ".": entry("single"),
    "./threaded": entry("threaded"),
    "./single/zkinfer_verifier_bg.wasm": "./single/zkinfer_verifier_bg.wasm",
    "./threaded/zkinfer_verifier_bg.wasm": "./threaded/zkinfer_verifier_bg.wasm",
    "./package.json": "./package.json",
  },
  // For tools that predate "exports" (and TypeScript with moduleResolution "node").
  main: "./single/zkinfer_verifier.js",
  types: "./single/zkinfer_verifier.d.ts",
  typesVersions: { "*": { threaded: ["./threaded/zkinfer_verifier.d.ts"] } },
  files: ["single/", "threaded/", "README.md"],
  // Only wasm-bindgen-rayon's worker script does something on import (it listens for the
  // message that starts a pool thread); bundlers may drop everything else that is unused.
  sideEffects: ["./threaded/snippets/*"],
  keywords: ["zk-snark", "zkml", "halo2", "kzg", "verifier", "webassembly", "neural-network"],
};
if (crate.repository) pkg.repository = crate.repository;

process.stdout.write(JSON.stringify(pkg, null, 2) + "\n");
