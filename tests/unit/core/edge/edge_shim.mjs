// Runs a generated edge function in node, against a stand-in for CloudFront's `cloudfront`
// module, for tests/unit/core/test_edge_node.py.
//
//   node edge_shim.mjs FUNCTION.js CASES.json
//
// CASES.json is a list of viewer countries; null means a request without the
// CloudFront-Viewer-Country header; {"country": C, "host": H} sets the Host too (null: none). Prints one JSON list: for each case, the country, the
// arguments of every cf.updateRequestOrigin() call, and whether the handler returned the
// request it was given.
//
// How the function is loaded, kept simple: it must start with exactly the line AWS requires,
// `import cf from 'cloudfront';`. That line is replaced by an import of this very file (ES
// modules are cached by URL, so the function and this runner share one `calls` list), an
// `export { handler };` is appended, and the result is imported as an ES module, as CloudFront
// treats code with an import: strict mode, no globals leaked. Node's own features beyond
// CloudFront's runtime are not refused here; the generator keeps to ES 5.1 for that.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export const calls = [];

// Only the keys AWS documents for updateRequestOrigin(); anything else is a generator bug.
// hostHeader and sni: "Helper methods for origin modification", as quoted in issue 23.
const ORIGIN_KEYS = new Set([
  "domainName", "hostHeader", "sni", "originPath", "customHeaders", "connectionAttempts",
  "originShield", "originAccessControlConfig", "timeouts", "customOriginConfig",
]);

export default {
  updateRequestOrigin(params) {
    if (typeof params !== "object" || params === null) {
      throw new TypeError("updateRequestOrigin needs an object");
    }
    for (const key of Object.keys(params)) {
      if (!ORIGIN_KEYS.has(key)) throw new TypeError(`unknown origin property ${key}`);
    }
    if ("domainName" in params && (typeof params.domainName !== "string" || !params.domainName)) {
      throw new TypeError(`domainName must be a non-empty string, got ${params.domainName}`);
    }
    calls.push(JSON.parse(JSON.stringify(params)));
  },
};

// A case is a country (null: no CloudFront-Viewer-Country), or {country, host}, host null
// for a request without a Host header.
function viewerRequest(country, host) {
  const headers = { accept: { value: "*/*" } };
  if (host !== null) headers.host = { value: host };
  if (country !== null) headers["cloudfront-viewer-country"] = { value: country };
  return {
    version: "1.0",
    context: { distributionDomainName: "d111111abcdef8.cloudfront.net", eventType: "viewer-request" },
    viewer: { ip: "198.51.100.7" },
    request: { method: "GET", uri: "/", querystring: {}, headers, cookies: {} },
  };
}

async function main(codeFile, casesFile) {
  const IMPORT = "import cf from 'cloudfront';";
  const code = readFileSync(codeFile, "utf8");
  const [first, ...rest] = code.split("\n");
  if (first !== IMPORT) throw new Error(`the first line must be ${IMPORT}, not ${first}`);
  const shim = pathToFileURL(new URL(import.meta.url).pathname).href;
  const dir = mkdtempSync(join(tmpdir(), "edge-shim-"));
  try {
    const module = join(dir, "function.mjs");
    writeFileSync(module, [`import cf from ${JSON.stringify(shim)};`, ...rest,
                           "export { handler };", ""].join("\n"));
    const { handler } = await import(pathToFileURL(module).href);
    const results = [];
    for (const item of JSON.parse(readFileSync(casesFile, "utf8"))) {
      const detailed = item !== null && typeof item === "object";
      const country = detailed ? item.country : item;
      const host = detailed ? item.host : "shop.example.com";
      calls.length = 0;
      const event = viewerRequest(country, host);
      const returned = await handler(event);
      results.push({ country: item, calls: [...calls],
                     returned_request: returned === event.request });
    }
    process.stdout.write(JSON.stringify(results) + "\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Not awaited at the top level: the function imports this module, which must have finished
// evaluating first (a top-level await here would wait on itself).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2], process.argv[3]).catch((error) => {
    process.stderr.write(`${error.stack || error}\n`);
    process.exitCode = 1;
  });
}
