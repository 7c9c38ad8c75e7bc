/** Ambient declarations for dependencies that ship no types. */
declare module 'seek-bzip' {
  const Bunzip: { decode(input: Buffer, output?: Buffer): Buffer };
  export default Bunzip;
}
