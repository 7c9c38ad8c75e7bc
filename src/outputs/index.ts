/**
 * Every output emitter, registered by import. Adding an output = a new file that calls
 * `registerEmitter` + one line here.
 */
import './tar.js';
import './squashfs.js';
import './oci.js';
import './erofs/index.js';
import './verity.js';
export * from './emitter.js';
