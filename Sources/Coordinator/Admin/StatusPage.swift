import Crypto
import Foundation
import Markets

/// The status page served at `GET /` of the admin port: one self-contained document (inline CSS, inline
/// script, SVG drawn in the page; nothing from another host) that polls `GET /dashboard` every second
/// and redraws in place. Data is written with `textContent` only, never parsed as HTML.
enum StatusPage {
    /// The cookie the page authenticates with: a digest of the bearer token (the token itself is never
    /// stored by the browser), valid as long as the token is.
    static let cookieName = "executor_session"

    static func sessionValue(token: String) -> String {
        SHA256.hash(data: Data("run-executor status page\u{0}\(token)".utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func setCookie(token: String) -> String {
        "\(cookieName)=\(sessionValue(token: token)); Path=/; HttpOnly; SameSite=Strict"
    }

    static let clearCookie = "\(cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"

    /// Headers of every page: no caching, no framing (the halt button cannot be click-jacked), no referrer
    /// (a `?token=` visit must not leak), scripts only with this response's nonce.
    static func headers(nonce: String) -> [(String, String)] {
        [("Cache-Control", "no-store"), ("X-Frame-Options", "DENY"), ("Referrer-Policy", "no-referrer"),
         ("X-Content-Type-Options", "nosniff"),
         ("Content-Security-Policy", "default-src 'none'; script-src 'nonce-\(nonce)'; style-src 'unsafe-inline'; connect-src 'self'; "
            + "img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")]
    }

    static func nonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static func login(message: String?) -> String {
        let note = message.map { "<p class=\"bad\">\($0.htmlEscaped)</p>" } ?? ""
        return """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>run-executor · sign in</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>\(css)</style></head><body><main class="login">
            <h1>run-executor</h1><p>The status page needs the admin bearer token (the run's <code>data/admin.token</code>).</p>
            \(note)
            <form method="post" action="/login"><label>Token <input id="token" name="token" type="password" autocomplete="off" autofocus></label>
            <button id="sign-in" type="submit">Sign in</button></form></main></body></html>
            """
    }

    static func page(nonce: String) -> String {
        """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>run-executor · status</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>\(css)</style></head><body>
        <header><h1>run-executor</h1><span id="state" class="pill">…</span><span id="mode" class="pill"></span>
        <span id="updated" class="muted"></span>
        <form method="post" action="/logout" class="right"><button type="submit" class="link">sign out</button></form></header>
        <p id="venues"></p>
        <p id="problem" class="bad" hidden></p>
        <section class="grid">
          <div class="card"><h2>Breaker <span id="breaker-state" class="pill"></span></h2>
            <p id="halt-reason" class="bad" hidden></p>
            <table id="limits"><tbody></tbody></table>
            <div class="buttons"><button id="halt" class="danger">Halt trading</button> <button id="resume">Resume</button></div>
            <p id="action-result" class="muted"></p></div>
          <div class="card"><h2>P&amp;L</h2>
            <table class="kv"><tbody>
              <tr><th>realised</th><td id="pnl-realized" class="num"></td></tr>
              <tr><th>unrealised</th><td id="pnl-unrealized" class="num"></td></tr>
              <tr><th>total</th><td id="pnl-total" class="num"></td></tr>
              <tr><th>fees paid</th><td id="pnl-fees" class="num"></td></tr></tbody></table>
            <h3>Signals</h3><p id="signals" class="muted"></p>
            <h3>Denials by code</h3><table id="denials"><tbody></tbody></table></div>
          <div class="card"><h2>Latency (µs)</h2><div id="latency-chart"></div><table id="latency"><thead>
            <tr><th>stage</th><th class="num">n</th><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th><th class="num">max</th></tr>
            </thead><tbody></tbody></table></div>
        </section>
        <section class="card"><h2>Positions</h2><table id="positions"><thead><tr><th>market</th><th class="num">position</th>
          <th class="num">avg cost</th><th class="num">realised</th><th class="num">unrealised</th><th class="num">mark</th><th>mark source</th>
          <th class="num">fees</th></tr></thead><tbody></tbody></table></section>
        <section class="card"><h2>Open orders</h2><table id="open-orders"><thead><tr><th>order</th><th>venue</th><th>market</th><th>order</th>
          <th class="num">filled</th><th>state</th><th class="num">age s</th></tr></thead><tbody></tbody></table></section>
        <section class="card"><h2>Arbitrage</h2><table id="arbs"><thead><tr><th>time</th><th>arb</th><th>pair</th><th>outcome</th><th>legs</th>
          <th class="num">realised</th><th class="num">exposure</th><th>reason</th></tr></thead><tbody></tbody></table></section>
        <section class="card" id="traders-card" hidden><h2>Remote traders</h2><table id="traders"><thead><tr><th>platforms</th><th>address</th>
          <th>since</th><th>last pong</th><th class="num">legs in flight</th></tr></thead><tbody></tbody></table></section>
        <section class="card"><h2>Last trades</h2><table id="trades"><thead><tr><th>order</th><th>market</th><th>order</th><th>state</th>
          <th class="num">filled</th><th>fills</th></tr></thead><tbody></tbody></table></section>
        <script nonce="\(nonce)">\(script)</script></body></html>
        """
    }

    static let css = """
        body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 1.5rem 2rem;color:#1d2330;background:#f6f7f9}
        header{display:flex;gap:.6rem;align-items:center;flex-wrap:wrap}h1{font-size:1.3rem;margin:.8rem .4rem .8rem 0}
        h2{font-size:1rem;margin:.2rem 0 .6rem}h3{font-size:.85rem;margin:.8rem 0 .3rem;color:#555}
        .pill{padding:.1rem .55rem;border-radius:1rem;background:#e3e7ee;font-size:.8rem}.ok{background:#d5f2dd}.warn{background:#fde8c8}
        .stop{background:#f8d0d0}.muted{color:#6b7280;font-size:.85rem}.bad{color:#b42318;font-weight:600}.right{margin-left:auto}
        .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1rem}
        .card{background:#fff;border:1px solid #e2e5ea;border-radius:8px;padding:.8rem 1rem;margin-bottom:1rem;overflow-x:auto}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.2rem .5rem;border-bottom:1px solid #eef0f3;white-space:nowrap}
        th{font-weight:600;color:#4b5563;font-size:.8rem}.num{text-align:right;font-variant-numeric:tabular-nums}
        .neg{color:#b42318}.pos{color:#067647}.bar{height:.5rem;background:#e3e7ee;border-radius:.25rem;min-width:80px}
        .bar>div{height:100%;border-radius:.25rem;background:#3b82f6}.bar>div.hot{background:#dc2626}
        button{font:inherit;padding:.35rem .8rem;border-radius:6px;border:1px solid #c7ccd4;background:#fff;cursor:pointer}
        button.danger{background:#b42318;color:#fff;border-color:#b42318}button.link{border:none;background:none;color:#2563eb}
        .buttons{margin-top:.7rem}.login{max-width:28rem;margin:4rem auto}.login input{margin:0 .5rem}
        """

    static let script = """
        'use strict';
        const $ = (id) => document.getElementById(id);
        function cell(row, text, cls) { const td = document.createElement('td'); td.textContent = text == null ? '-' : String(text);
          if (cls) td.className = cls; row.appendChild(td); return td; }
        function fill(id, rows, render) { const body = $(id).tBodies[0]; const next = document.createElement('tbody');
          for (const r of rows) { const tr = document.createElement('tr'); render(tr, r); next.appendChild(tr); }
          if (rows.length === 0) { const tr = document.createElement('tr'); const td = cell(tr, 'none', 'muted'); td.colSpan = 9; next.appendChild(tr); }
          body.replaceWith(next); }
        // Polymarket token ids are 77 digits: shown shortened, in full on hover.
        function market(row, id) { const td = cell(row, id.length > 24 ? id.slice(0, 10) + '…' + id.slice(-6) : id); td.title = id; return td; }
        function money(td) { const v = parseFloat(td.textContent); if (!isNaN(v)) td.classList.add(v < 0 ? 'neg' : v > 0 ? 'pos' : 'zero'); return td; }
        function pill(el, text, cls) { el.textContent = text; el.className = 'pill ' + cls; }
        const svgNS = 'http://www.w3.org/2000/svg';
        function latencyChart(rows) {
          const box = $('latency-chart'); const stages = rows.filter(r => r.count > 0);
          const svg = document.createElementNS(svgNS, 'svg'); const h = 18 * stages.length * 3 + 10; svg.setAttribute('width', '100%');
          svg.setAttribute('viewBox', '0 0 420 ' + Math.max(h, 20)); svg.setAttribute('role', 'img');
          const max = Math.max(1, ...stages.map(r => r.p99_microseconds)); const scale = (v) => 10 + 200 * Math.log10(1 + v) / Math.log10(1 + max);
          let y = 4; const colours = {p50: '#3b82f6', p90: '#f59e0b', p99: '#dc2626'};
          for (const r of stages) { for (const [k, v] of [['p50', r.p50_microseconds], ['p90', r.p90_microseconds], ['p99', r.p99_microseconds]]) {
            const rect = document.createElementNS(svgNS, 'rect'); rect.setAttribute('x', 110); rect.setAttribute('y', y);
            rect.setAttribute('height', 14); rect.setAttribute('width', Math.max(1, scale(v) - 10)); rect.setAttribute('fill', colours[k]); svg.appendChild(rect);
            const label = document.createElementNS(svgNS, 'text'); label.setAttribute('x', 0); label.setAttribute('y', y + 11);
            label.setAttribute('font-size', 10); label.textContent = (k === 'p50' ? r.stage.replaceAll('_', ' ') : '') ; svg.appendChild(label);
            const val = document.createElementNS(svgNS, 'text'); val.setAttribute('x', 112 + Math.max(1, scale(v) - 10)); val.setAttribute('y', y + 11);
            val.setAttribute('font-size', 10); val.textContent = k + ' ' + v; svg.appendChild(val); y += 16; } y += 6; }
          box.replaceChildren(svg); }
        function render(d) {
          const live = ['ready', 'acting'].includes(d.state);
          pill($('state'), 'run ' + d.state, live ? 'ok' : d.state === 'stopped' ? 'stop' : 'warn');
          pill($('mode'), d.venues.mode.toUpperCase() + (d.venues.hybrid ? ' · HYBRID' : ''), d.venues.mode === 'live' ? 'stop' : 'ok');
          $('venues').textContent = d.venues.summary; $('updated').textContent = 'updated ' + d.generated_at;
          const b = d.breaker; pill($('breaker-state'), b.state, b.state === 'closed' ? 'ok' : b.state === 'halted' ? 'stop' : 'warn');
          $('halt-reason').hidden = !b.halt_reason && !b.persistence_failure;
          $('halt-reason').textContent = [b.halt_reason, b.persistence_failure].filter(Boolean).join(' · ');
          fill('limits', b.limits, (tr, l) => { cell(tr, l.name); cell(tr, l.used + ' / ' + l.limit, 'num');
            const td = document.createElement('td'); const bar = document.createElement('div'); bar.className = 'bar'; const inner = document.createElement('div');
            inner.style.width = Math.round(l.fraction * 100) + '%'; if (l.fraction >= 0.8) inner.className = 'hot'; bar.appendChild(inner); td.appendChild(bar); tr.appendChild(td); });
          const p = d.pnl || {}; money($('pnl-realized')).textContent = p.realized_pnl ?? 'unknown';
          $('pnl-unrealized').textContent = p.unrealized_pnl ?? 'unknown (a position has no mark)'; $('pnl-total').textContent = p.total_pnl ?? 'unknown';
          $('pnl-fees').textContent = p.fees ?? '-'; for (const id of ['pnl-realized', 'pnl-unrealized', 'pnl-total']) { $(id).className = 'num'; money($(id)); }
          const s = d.signals; $('signals').textContent = `received ${s.received} · waiting ${s.waiting} · refused ${s.refused} · malformed ${s.malformed} · duplicate ${s.duplicate}`
            + ` · orders ${d.loop.orders} · filled ${d.loop.filled_orders} · denied ${d.loop.denied}`;
          fill('denials', Object.entries(d.denials).sort((a, b) => b[1] - a[1]), (tr, [code, n]) => { cell(tr, code); cell(tr, n, 'num'); });
          fill('latency', d.latency.filter(r => r.count > 0), (tr, r) => { cell(tr, r.stage); for (const k of ['count', 'p50_microseconds', 'p90_microseconds', 'p99_microseconds', 'max_microseconds']) cell(tr, r[k], 'num'); });
          latencyChart(d.latency);
          fill('positions', (p.markets || []).filter(m => m.side || parseFloat(m.realized_pnl) !== 0), (tr, m) => { market(tr, m.ticker);
            cell(tr, m.position + (m.side ? ' ' + m.side.toUpperCase() : ''), 'num'); cell(tr, m.average_cost, 'num'); money(cell(tr, m.realized_pnl, 'num'));
            money(cell(tr, m.unrealized_pnl, 'num')); cell(tr, m.mark, 'num'); cell(tr, m.mark_source); cell(tr, m.fees, 'num'); });
          fill('open-orders', d.open_orders, (tr, o) => { cell(tr, o.client_order_id); cell(tr, o.platform); market(tr, o.ticker);
            cell(tr, `${o.action} ${o.side} ${o.requested} @ ${o.limit}`); cell(tr, o.filled, 'num'); cell(tr, o.state); cell(tr, o.age_seconds, 'num'); });
          fill('arbs', d.arbs, (tr, a) => { cell(tr, a.time); cell(tr, a.arb_id); cell(tr, a.pair_id); cell(tr, a.outcome);
            cell(tr, a.legs.map(l => `${l.platform} ${l.side} ${l.filled}/${l.contracts}` + (l.average_price ? ' @ ' + l.average_price : '')).join('; '));
            money(cell(tr, a.realized_pnl, 'num')); cell(tr, a.exposure, 'num'); cell(tr, a.reason); });
          fill('trades', d.trades, (tr, o) => { cell(tr, o.client_order_id); market(tr, o.ticker); cell(tr, `${o.action} ${o.side} ${o.requested} @ ${o.limit}`);
            cell(tr, o.state + (o.error_code ? ' (' + o.error_code + ')' : '')); cell(tr, o.filled, 'num');
            cell(tr, o.fills.map(f => `${f.contracts} @ ${f.price} fee ${f.fee}`).join('; ')); });
          $('traders-card').hidden = !d.traders || d.traders.length === 0;
          fill('traders', d.traders || [], (tr, t) => { cell(tr, t.platforms.join(', ')); cell(tr, t.address); cell(tr, t.since);
            cell(tr, t.last_pong); cell(tr, t.legs_in_flight, 'num'); });
          $('halt').disabled = b.state === 'halted'; $('resume').disabled = b.state !== 'halted';
        }
        async function refresh() {
          try { const r = await fetch('/dashboard', {credentials: 'same-origin', cache: 'no-store'});
            if (r.status === 401) { location.href = '/'; return; }
            render(await r.json()); $('problem').hidden = true;
          } catch (e) { $('problem').hidden = false; $('problem').textContent = 'cannot reach the executor: ' + e; }
        }
        async function act(path, question, body) {
          if (!window.confirm(question)) return;
          const r = await fetch(path, {method: 'POST', credentials: 'same-origin', headers: {'Content-Type': 'application/json', 'X-Executor-Page': '1'},
            body: JSON.stringify(body || {})});
          $('action-result').textContent = path.slice(1) + ': ' + (r.ok ? 'done' : 'refused (' + r.status + ') ' + await r.text());
          refresh();
        }
        $('halt').addEventListener('click', () => act('/halt', 'Halt trading? No new orders until resumed.', {reason: 'halted from the status page'}));
        $('resume').addEventListener('click', () => act('/resume', 'Resume trading?'));
        refresh(); setInterval(refresh, 1000);
        """
}
