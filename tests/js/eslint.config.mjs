// ESLint for adamviz's browser code (assets/*.js: classic scripts sharing one global, `AdamViz`)
// and the Node helper that runs the engine alone (tests/js/*.js).
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
    files: ["**/assets/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "script", globals: { ...globals.browser, module: "readonly" } },
    rules: { ...rules, strict: ["error", "function"] },
  },
  {
    files: ["**/tests/js/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "commonjs", globals: globals.node },
    rules,
  },
];
