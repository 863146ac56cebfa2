import { randn } from '../inference/sampling/rng.ts';
for (let k=0;k<6;k++){ const t=performance.now(); randn(101+k,[1,16,128,128]); console.log('randn',(performance.now()-t).toFixed(1)); }
