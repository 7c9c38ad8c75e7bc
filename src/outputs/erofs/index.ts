/** `erofs` output: rootfs.erofs written by our own EROFS writer (see ./writer.ts). */
import { join } from 'node:path';
import type { Rootfs } from '../../compose/rootfs.js';
import { registerEmitter, describeFile, type EmitContext, type EmittedFile } from '../emitter.js';
import { writeErofs } from './writer.js';

export { writeErofs } from './writer.js';

export const erofsEmitter = {
  name: 'erofs',
  async emit(rootfs: Rootfs, ctx: EmitContext): Promise<EmittedFile[]> {
    const rel = 'rootfs.erofs';
    const p = ctx.report.progress('emit-erofs', 'writing rootfs.erofs', rootfs.size);
    const r = await writeErofs(rootfs, join(ctx.outDir, rel), { epoch: ctx.epoch, volumeName: ctx.image.name.slice(0, 16), onInode: () => p.tick() });
    p.done();
    ctx.report.info('erofs-written', `rootfs.erofs: ${r.inodes} inodes, ${r.blocks} blocks, uuid ${r.uuid}`, { ...r });
    return [await describeFile(ctx.outDir, rel)];
  },
};
registerEmitter(erofsEmitter);
