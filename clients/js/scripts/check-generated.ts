// Fails (exit 1, naming the files) when src/generated/ is not what `npm run generate` makes
// from the committed IDL today: the client's counterpart of the program's IDL check.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { generate, generatedFolder } from './generate';

const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function files(dir: string, prefix = ''): string[] {
  let found: string[];
  try {
    found = readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? files(path.join(dir, entry.name), path.join(prefix, entry.name))
        : [path.join(prefix, entry.name)],
    );
  } catch {
    found = [];
  }
  return found.sort();
}

const scratch = mkdtempSync(path.join(tmpdir(), 'sluice-client-'));
try {
  await generate(scratch);
  const fresh = path.join(scratch, generatedFolder);
  const committed = path.join(clientDir, generatedFolder);
  const want = new Set(files(fresh));
  const have = new Set(files(committed));
  const problems: string[] = [];
  for (const file of want) {
    if (!have.has(file)) problems.push(`missing   ${path.join(generatedFolder, file)}`);
    else if (!readFileSync(path.join(fresh, file)).equals(readFileSync(path.join(committed, file)))) {
      problems.push(`differs   ${path.join(generatedFolder, file)}`);
    }
  }
  for (const file of have) if (!want.has(file)) problems.push(`extra     ${path.join(generatedFolder, file)}`);
  if (problems.length > 0) {
    console.error(`${generatedFolder} is stale against idl/sluice.json (${problems.length} files):`);
    for (const p of problems) console.error(`  ${p}`);
    console.error('Run `npm run generate` in clients/js and commit the result.');
    process.exitCode = 1;
  } else {
    console.log(`${generatedFolder} matches idl/sluice.json (${want.size} files)`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
