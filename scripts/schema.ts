// Regenerates docs/image-definition.schema.json from the zod schema (npm run schema).
import { writeFileSync } from 'node:fs';
import { definitionJsonSchema } from '../src/compose/definition.js';
writeFileSync(new URL('../docs/image-definition.schema.json', import.meta.url), JSON.stringify(definitionJsonSchema(), null, 2) + '\n');
