/** The part of jstat (a CommonJS module without published types) that stampede uses. */
declare module 'jstat' {
  const jstat: {
    jStat: { studentt: { cdf(t: number, dof: number): number } };
  };
  export default jstat;
}
