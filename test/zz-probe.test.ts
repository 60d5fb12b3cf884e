import { it } from 'vitest';
import { api } from '../engine/proto.js';
import { testEngine } from './helpers/engine.js';
import { grpcFrame, grpcStatus, http2Session, rawCall, rssMb } from './helpers/abuse.js';

it('probe', async () => {
  const t = await testEngine({ numShards: 1, transport: { maxLargeMessages: Number(process.env.L ?? 2) } });
  const request = api.workflowservice.v1.StartWorkflowExecutionRequest.encode({
    namespace: 'default', workflowId: 'huge', requestId: 'huge', workflowType: { name: 'abuse' }, taskQueue: { name: 'abuse-tq' },
    input: { payloads: [{ metadata: {}, data: Buffer.alloc(Number(process.env.MB ?? 60) * 1024 * 1024, 1) }] },
  }).finish();
  const framed = grpcFrame(request);
  const session = http2Session(t.engine.port);
  const t0 = Date.now();
  const calls = Array.from({ length: Number(process.env.N ?? 12) }, (_, i) => { const st = rawCall(session, 'StartWorkflowExecution', framed); st.on('response', (h) => console.log('resp', i, JSON.stringify(h))); st.on('error', (e) => console.log('err', i, String(e))); st.on('aborted', () => console.log('aborted', i)); return grpcStatus(st).then((c) => { console.log('call', i, 'status', c, 'at', Date.now() - t0, 'rss', rssMb().toFixed(0)); return c; }); });
  const iv = setInterval(() => console.log('rss', rssMb().toFixed(0), 'at', Date.now() - t0), 1000);
  await Promise.all(calls);
  clearInterval(iv);
  session.destroy();
  await t.close();
}, 60000);
