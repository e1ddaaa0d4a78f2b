// Realtime ingest: 100k `posted` frames through RealtimeClient, beside raw ws + JSON.parse.
import { performance } from 'node:perf_hooks'
import WebSocket, { WebSocketServer } from 'ws'
import { Client } from '../dist/index.js'
import { median, report, row } from './lib.mjs'

{
  const N = 100_000
  const post = {
    id: 'p'.repeat(26),
    channel_id: 'c'.repeat(26),
    user_id: 'u'.repeat(26),
    message: 'hello world',
    create_at: 1,
    update_at: 1,
    props: {},
    root_id: '',
    type: '',
  }
  const frames = []
  for (let i = 1; i <= N; i++) {
    frames.push(
      JSON.stringify({
        event: 'posted',
        data: {
          post: JSON.stringify({ ...post, id: String(i).padStart(26, 'x') }),
          channel_type: 'O',
          channel_name: 'town',
          sender_name: '@u',
          team_id: 't',
        },
        broadcast: { omit_users: null, user_id: '', channel_id: post.channel_id, team_id: '' },
        seq: i,
      }),
    )
  }
  const wss = new WebSocketServer({ port: 0, perMessageDeflate: false })
  let blast = null
  wss.on('connection', ws => {
    ws.send(
      JSON.stringify({
        event: 'hello',
        data: { connection_id: 'h'.repeat(26), server_version: 'bench' },
        broadcast: {},
        seq: 0,
      }),
    )
    ws.on('message', m => {
      const msg = JSON.parse(m)
      if (msg.action)
        ws.send(
          JSON.stringify({
            status: 'OK',
            seq_reply: msg.seq,
            data: { text: 'pong', server_time: Date.now() },
          }),
        )
    })
    blast = () => {
      for (const f of frames) ws.send(f)
    }
  })
  const port = wss.address().port
  const waitBlast = async () => {
    while (!blast) await new Promise(r => setTimeout(r, 5))
    const b = blast
    blast = null
    return b
  }
  const runs = { raw: [], ours: [] }
  for (let rep = 0; rep < 3; rep++) {
    {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v4/websocket`, { perMessageDeflate: false })
      let got = 0
      const done = new Promise(resolve =>
        ws.on('message', d => {
          const m = JSON.parse(d.toString())
          if (m.event === 'posted') {
            JSON.parse(m.data.post)
            if (++got === N) resolve()
          }
        }),
      )
      await new Promise(r => ws.on('open', r))
      const b = await waitBlast()
      const s = performance.now()
      b()
      await done
      runs.raw.push(performance.now() - s)
      ws.close()
    }
    {
      const c = new Client({ url: `http://127.0.0.1:${port}`, token: 'bench-token', verifyServer: false })
      const rt = c.realtime({ backfill: false })
      let got = 0
      const done = new Promise(resolve =>
        rt.on('posted', () => {
          if (++got === N) resolve()
        }),
      )
      await rt.connect()
      const b = await waitBlast()
      const s = performance.now()
      b()
      await done
      runs.ours.push(performance.now() - s)
      await rt.close()
    }
  }
  const raw = N / (median(runs.raw) / 1000)
  const ours = N / (median(runs.ours) / 1000)
  row(
    'realtime ingest 100k posted (events/s)',
    `${ours.toFixed(0)} (${(ours / raw).toFixed(2)}×)`,
    `ws + JSON.parse ${raw.toFixed(0)}`,
    '≥ 0.9× raw',
    ours / raw >= 0.9,
  )
  wss.close()
}

report()
