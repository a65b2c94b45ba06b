// ESLint for adamviz's browser code (assets/**/*.js: ES modules, bundled by tests/build_bundle.py)
// and the Node helper that runs the engine alone (tests/js/*.mjs).
import js from "@eslint/js";
import globals from "globals";

const rules = {
  "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_" }],
  eqeqeq: "error",
  "no-var": "error",
  "prefer-const": "error",
};

export default [
  { ignores: ["**/assets/adamviz.min.js"] }, // generated from the others by tests/build_bundle.py
  js.configs.recommended,
  {
    files: ["**/assets/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.browser },
    rules,
  },
  {
    files: ["**/tests/js/*.mjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.node },
    rules,
  },
];
