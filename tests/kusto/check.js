// Parse and analyse KQL files with Microsoft's Kusto.Language (npm @kusto/language-service-next).
//
// Usage: node check.js [FILE.kql ...]        (no argument: every queries/*.kql of the project)
// Prints one JSON object: {"files": {"<path>": [{"code", "severity", "start", "length", "line", "message"}]}}.
// The schema is Resource Graph's `resources` and `resourcecontainers` tables, registered under both
// spellings because Kusto is case-sensitive while Resource Graph is not. Columns are built one by one:
// the schema-string constructor silently drops columns named like keywords (`kind`).
'use strict';
const fs = require('fs');
const path = require('path');

const pkg = path.join(__dirname, 'node_modules', '@kusto', 'language-service-next');
require(path.join(pkg, 'bridge.js'));
require(path.join(pkg, 'Kusto.Language.Bridge.js'));

const S = Kusto.Language.Symbols;
const T = S.ScalarTypes;

// Resource Graph table columns (learn.microsoft.com/azure/governance/resource-graph/concepts/query-language).
const COLUMNS = [
  ['id', T.String], ['name', T.String], ['type', T.String], ['tenantId', T.String], ['kind', T.String],
  ['location', T.String], ['resourceGroup', T.String], ['subscriptionId', T.String],
  ['managementGroup', T.String], ['sku', T.Dynamic], ['plan', T.Dynamic], ['properties', T.Dynamic],
  ['tags', T.Dynamic], ['identity', T.Dynamic], ['zones', T.Dynamic], ['extendedLocation', T.Dynamic],
];

function table(name) {
  const cols = COLUMNS.map(([n, t]) => new S.ColumnSymbol(n, t, null, null, null, null));
  return new S.TableSymbol.$ctor4(name, cols);
}

const TABLES = ['resources', 'Resources', 'resourcecontainers', 'ResourceContainers'];
const db = new S.DatabaseSymbol.$ctor2('resourcegraph', null, TABLES.map(table));
const globals = Kusto.Language.GlobalState.Default.WithDatabase(db);

function lineOf(text, offset) {
  return text.slice(0, offset).split('\n').length;
}

let files = process.argv.slice(2);
if (files.length === 0) {
  const queries = path.join(__dirname, '..', '..', 'queries');
  files = fs.readdirSync(queries).filter((f) => f.endsWith('.kql')).sort().map((f) => path.join(queries, f));
}

const out = {files: {}};
for (const file of files) {
  const text = fs.readFileSync(file, 'utf8');
  const code = Kusto.Language.KustoCode.ParseAndAnalyze(text, globals);
  const diags = code.GetDiagnostics();
  const items = [];
  for (let i = 0; i < diags.Count; i++) {
    const d = diags.getItem(i);
    items.push({
      code: d.Code, severity: d.Severity, start: d.Start, length: d.Length,
      line: lineOf(text, d.Start), message: d.Message,
    });
  }
  // The result columns let the caller check a query projects what its header promises.
  const result = code.ResultType;
  let columns = null;
  if (result && result.Columns) {
    columns = [];
    for (let i = 0; i < result.Columns.Count; i++) columns.push(result.Columns.getItem(i).Name);
  }
  out.files[file] = {diagnostics: items, columns: columns};
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
