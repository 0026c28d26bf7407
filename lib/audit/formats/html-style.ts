/* Pure: the stylesheet of the audit page, inlined in it (the page loads nothing). */

export const AUDIT_CSS = `
:root { --fg: #1b1f24; --muted: #5b6570; --line: #d8dee4; --bg: #f6f8fa; --card: #fff;
  --agent: #0b5cad; --elevated: #6f42c1; --chained: #0a7f72; --deny: #b42318; --deny-bg: #fdecea;
  --warn: #9a5b00; --warn-bg: #fff4e0; --ok: #1a7f37; --code: #eef1f4; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9aa6b2; --line: #30363d; --bg: #0d1117; --card: #161b22;
    --agent: #58a6ff; --elevated: #bc8cff; --chained: #39c5b6; --deny: #ff7b72; --deny-bg: #3a1618;
    --warn: #e3b341; --warn-bg: #33260a; --ok: #3fb950; --code: #21262d; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
code, .mono, time { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
code { background: var(--code); padding: 1px 5px; border-radius: 4px; overflow-wrap: anywhere; }
.page { max-width: 1180px; margin: 0 auto; padding: 28px 24px 48px; }
.top h1 { margin: 0 0 4px; font-size: 26px; }
.top .sub { margin: 0; color: var(--muted); }
.stats { display: flex; flex-wrap: wrap; gap: 10px; margin: 18px 0 8px; }
.stat { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px 16px; min-width: 118px; }
.stat b { display: block; font-size: 22px; line-height: 1.1; }
.stat span { color: var(--muted); font-size: 12.5px; }
.stat.bad { border-color: var(--deny); } .stat.bad b { color: var(--deny); }
.stat.warn { border-color: var(--warn); } .stat.warn b { color: var(--warn); }
h2 { font-size: 19px; margin: 34px 0 12px; display: flex; align-items: baseline; gap: 10px; }
h2 .count { color: var(--muted); font-size: 13px; font-weight: normal; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; }
th, td { padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
.overview { background: var(--card); border: 1px solid var(--line); border-radius: 10px; overflow-x: auto; }
.overview tr:last-child td { border-bottom: 0; }
.overview a { color: inherit; font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; border-radius: 999px; padding: 1px 9px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.badge.agent { color: var(--agent); } .badge.elevated { color: var(--elevated); } .badge.chained { color: var(--chained); }
.badge.deny { color: var(--deny); background: var(--deny-bg); } .badge.warn { color: var(--warn); background: var(--warn-bg); }
.badge.prod { color: var(--warn); } .badge.quiet { color: var(--muted); font-weight: normal; }
.session { background: var(--card); border: 1px solid var(--line); border-left: 5px solid var(--agent); border-radius: 10px; margin: 0 0 20px; overflow: hidden; }
.session.elevated { border-left-color: var(--elevated); } .session.chained { border-left-color: var(--chained); }
.session > header { padding: 14px 18px 6px; display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
.session h3 { margin: 0; font-size: 17px; margin-right: auto; overflow-wrap: anywhere; }
.session h3 .id { color: var(--muted); font-weight: normal; margin-right: 6px; }
.chain { padding: 0 18px 6px; color: var(--muted); font-size: 13px; }
.chain ol { list-style: none; display: inline; padding: 0; margin: 0; }
.chain li { display: inline; } .chain li + li::before { content: " \\2192  "; }
.body { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0 24px; padding: 4px 18px 12px; }
.body.single { grid-template-columns: minmax(0, 1fr); }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 4px 14px; margin: 6px 0; align-content: start; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
.request { align-self: start; background: var(--bg); border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; margin: 6px 0; }
.request h4 { margin: 2px 0 4px; font-size: 14px; }
.justification { margin: 0; padding: 4px 10px; border-left: 3px solid var(--elevated); white-space: pre-wrap; overflow-wrap: anywhere; }
.approvers { margin: 0; padding-left: 18px; }
.comment { display: block; color: var(--fg); font-style: italic; overflow-wrap: anywhere; }
.note { color: var(--muted); font-size: 12.5px; }
.note.empty { padding: 4px 18px 14px; margin: 0; }
.summary { display: flex; flex-wrap: wrap; gap: 18px; padding: 8px 18px; border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); background: var(--bg); font-size: 13px; }
.summary b { font-variant-numeric: tabular-nums; }
.summary .bad b { color: var(--deny); }
.timeline td.time { white-space: nowrap; color: var(--muted); width: 1%; }
.timeline td.svc { color: var(--muted); white-space: nowrap; width: 1%; }
.timeline td.target { overflow-wrap: anywhere; font-size: 12.5px; }
.timeline td.outcome { width: 22%; white-space: nowrap; }
.timeline tr.has-detail td { border-bottom: 0; padding-bottom: 2px; }
.timeline tr.detail td { padding-top: 0; }
.timeline tr.detail .msg { margin: 0 0 2px; }
.timeline tr.day td { background: var(--bg); font-weight: 600; color: var(--muted); font-size: 12px; padding: 4px 10px; }
.timeline tr.read .call { color: var(--muted); }
.timeline tr.write .call { font-weight: 600; }
.timeline tr.denied td { background: var(--deny-bg); }
.timeline tr.denied td:first-child { box-shadow: inset 4px 0 0 var(--deny); }
.timeline tr.denied .call { color: var(--deny); font-weight: 600; }
.timeline tr.trip td { background: var(--warn-bg); color: var(--warn); font-weight: 600; }
.timeline tr.trip td:first-child { box-shadow: inset 4px 0 0 var(--warn); }
.timeline tr:last-child td { border-bottom: 0; }
.ok { color: var(--ok); } .bad { color: var(--deny); font-weight: 600; } .fail { color: var(--warn); font-weight: 600; }
.msg { display: block; color: var(--muted); font-weight: normal; font-size: 12px; overflow-wrap: anywhere; margin-top: 2px; }
.pill { font-size: 11px; border: 1px solid var(--line); border-radius: 4px; padding: 0 5px; color: var(--muted); font-weight: normal; margin-left: 6px; }
.opens { font-weight: 600; color: var(--chained); white-space: nowrap; }
.pill.prod { color: var(--warn); border-color: var(--warn); }
details { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px 16px; margin-top: 12px; }
summary { cursor: pointer; font-weight: 600; }
footer { color: var(--muted); font-size: 12.5px; margin-top: 30px; }
@media (max-width: 760px) { .body { grid-template-columns: minmax(0, 1fr); } .timeline td.svc { display: none; } }
@media print { body { background: #fff; } .session { break-inside: avoid-page; } }
`;
