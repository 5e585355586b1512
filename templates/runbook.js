/* vnet-planner runbook: draws app cards and steps from the embedded plan data, lazily.
   Everything user-supplied goes into the page as text nodes (never innerHTML). */
(function () {
  'use strict';

  var DATA = JSON.parse(document.getElementById('plan-data').textContent);
  /* Ticks are one map under one key, each keyed by what the step is (never by the page or its address),
     so the single page, a site's overview and all its pages read and write the same ticks. */
  var STORE_KEY = 'vnet-planner/ticks/v1';
  var PAGES_KEY = 'vnet-planner/pages/v1';   // a site's pages: steps done per page and wave, for the overview
  var SITE = DATA.site || null;
  var INDEX = !!(SITE && SITE.index);
  var PAGE = 50;            // cards drawn per wave before "Show more"
  var PRINT_LIMIT = 400;    // apps drawn open for printing
  var PORTAL = ((DATA.cloud && DATA.cloud.portal) || 'https://portal.azure.com') + '/#@/resource';
  var READY_LABEL = { 'ready': 'Ready', 'needs-work': 'Needs work', 'blocked': 'Blocked' };
  var KIND_LABEL = { limitation: 'Limitation', blocker: 'Blocker', finding: 'Finding', unknown: 'Not decided' };
  var codes = DATA.codes || {};
  var stepNotes = DATA.notes || {};  // notes every step of a kind shares, by key (plan.json step_notes)
  var apps = DATA.apps || [];
  var gateways = DATA.gateways || [];

  /* ---- small DOM helper: h('div', {class: 'x'}, 'text', child) ---- */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] == null || attrs[k] === false) continue;
        if (k === 'class') el.className = attrs[k];
        else if (k === 'text') el.textContent = attrs[k];
        else el.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
      }
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null || c === false) continue;
      el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return el;
  }

  /* ---- step keys: a short hash of owner id, step order and title, so a re-generated plan keeps ticks ---- */
  function hash(str) {
    var h1 = 0xdeadbeef, h2 = 0x41c6ce57;
    for (var i = 0; i < str.length; i++) {
      var ch = str.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
  }
  function stepKeys(owner) {
    var base = String(owner.id || owner.name).toLowerCase() + '|';
    return owner.steps.map(function (s) { return hash(base + s.o + '|' + s.t); });
  }

  /* ---- ticks in localStorage ---- */
  var ticks = {};
  var storageOk = true;
  try { ticks = JSON.parse(window.localStorage.getItem(STORE_KEY) || '{}') || {}; }
  catch (e) { storageOk = false; ticks = {}; }
  function saveTicks() {
    try { window.localStorage.setItem(STORE_KEY, JSON.stringify(ticks)); }
    catch (e) {
      if (storageOk) { storageOk = false; window.alert('Ticks cannot be saved in this browser (storage is blocked or full).'); }
    }
  }

  /* ---- index the data ---- */
  var byWave = {};
  apps.forEach(function (a, i) {
    a.i = i;
    a.keys = stepKeys(a);
    a.codes = a.blk.concat(a.lim, a.fnd, a.unk.map(function (u) { return u.code; }));
    a.hay = [a.name, a.sub, a.rg, a.id, a.tags, a.vnet, a.gw, a.plan, a.sku, a.loc,
      a.tgt ? a.tgt.subnet + ' ' + a.tgt.prefix + ' ' + a.tgt.vnet : '']
      .concat(a.codes.map(function (c) { return c + ' ' + ((codes[c] || {}).title || ''); }))
      .join(' ').toLowerCase();
    var w = a.wave == null ? 'none' : String(a.wave);
    (byWave[w] = byWave[w] || []).push(a);
  });
  gateways.forEach(function (g, i) { g.i = i; g.keys = stepKeys(g); });
  var gatewaysByWave = {};
  gateways.forEach(function (g) {
    if (!g.steps.length) return;
    var w = g.wave == null ? 'none' : String(g.wave);
    (gatewaysByWave[w] = gatewaysByWave[w] || []).push(g);
  });
  function doneCount(owner) {
    var n = 0;
    for (var i = 0; i < owner.keys.length; i++) if (ticks[owner.keys[i]]) n++;
    return n;
  }

  /* ---- filters ---- */
  var $ = function (id) { return document.getElementById(id); };
  var f = { q: $('f-q'), sub: $('f-sub'), wave: $('f-wave'), ready: $('f-ready'), code: $('f-code'), open: $('f-open') };
  function matches(a, st) {
    if (st.sub && a.sub !== st.sub) return false;
    if (st.ready && a.ready !== st.ready) return false;
    if (st.code && a.codes.indexOf(st.code) < 0) return false;
    if (st.open && a.keys.length && doneCount(a) === a.keys.length) return false;
    if (st.words.length) {
      for (var i = 0; i < st.words.length; i++) if (a.hay.indexOf(st.words[i]) < 0) return false;
    }
    return true;
  }
  function state() {
    return {
      words: f.q.value.toLowerCase().split(/\s+/).filter(Boolean),
      sub: f.sub.value, wave: f.wave.value, ready: f.ready.value, code: f.code.value, open: f.open.checked
    };
  }

  var sections = Array.prototype.slice.call(document.querySelectorAll('section.wave'));
  var view = {};   // wave key -> {list, shown}

  function applyFilters() {
    var st = state();
    var total = 0;
    sections.forEach(function (sec) {
      var key = sec.getAttribute('data-wave');
      var list = (st.wave && st.wave !== key) ? [] : (byWave[key] || []).filter(function (a) { return matches(a, st); });
      var gwOnly = !list.length && !st.words.length && !st.sub && !st.ready && !st.code && !st.open &&
        (!st.wave || st.wave === key) && (gatewaysByWave[key] || []).length;
      var appFilters = st.words.length || st.sub || st.ready || st.code || st.open;
      sec.querySelector('.gw-cards').hidden = !!appFilters;
      sec.hidden = !list.length && !gwOnly;
      view[key] = { list: list, shown: 0 };
      var box = sec.querySelector('.cards');
      box.textContent = '';
      drawMore(sec);
      total += list.length;
    });
    $('shown').textContent = 'Showing ' + total + ' of ' + apps.length + ' app' + (apps.length === 1 ? '' : 's');
    writeHash(st);
  }

  function drawMore(sec, all) {
    var key = sec.getAttribute('data-wave');
    var v = view[key];
    var box = sec.querySelector('.cards');
    var end = all ? v.list.length : Math.min(v.list.length, v.shown + PAGE);
    var frag = document.createDocumentFragment();
    for (var i = v.shown; i < end; i++) frag.appendChild(card(v.list[i]));
    box.appendChild(frag);
    v.shown = end;
    var more = sec.querySelector('.more');
    var left = v.list.length - v.shown;
    more.hidden = left <= 0;
    more.textContent = 'Show ' + Math.min(left, PAGE) + ' more (' + left + ' not shown)';
  }

  /* ---- cards ---- */
  function chip(code) {
    var info = codes[code] || {};
    return h('span', { class: 'chip k-' + (info.kind || 'unknown'), title: code + (info.meaning ? ': ' + info.meaning : '') },
      info.title || code);
  }
  function card(a) {
    var chips = h('span', { class: 'chips' });
    a.blk.concat(a.lim, a.fnd).forEach(function (c) { chips.appendChild(chip(c)); });
    a.unk.forEach(function (u) {
      chips.appendChild(h('span', { class: 'chip k-unknown', title: u.reason }, ((codes[u.code] || {}).title || u.code) + '?'));
    });
    (a.sup || []).forEach(function (x) {
      chips.appendChild(h('span', { class: 'chip k-suppressed' + (x.expired ? ' expired' : ''),
        title: (x.expired ? 'Suppression expired on ' : 'Accepted until ') + x.until + ': ' + x.reason },
        (x.code === '*' ? 'all codes' : ((codes[x.code] || {}).title || x.code)) + (x.expired ? ' (suppression expired)' : ' (accepted)')));
    });
    var done = doneCount(a);
    var d = h('details', { class: 'app', 'data-i': a.i, id: 'app-' + a.i },
      h('summary', null,
        h('span', { class: 'badge ' + a.ready }, READY_LABEL[a.ready] || a.ready || '?'),
        h('span', { class: 'app-name' }, a.site, a.slot ? h('span', { class: 'slot' }, ' / ' + a.slot) : null),
        h('span', { class: 'where' }, a.sub + ' · ' + a.rg),
        chips,
        h('span', { class: 'app-progress' + (a.keys.length && done === a.keys.length ? ' done' : '') },
          a.keys.length ? done + '/' + a.keys.length : 'no steps')));
    d.addEventListener('toggle', function () { if (d.open) fillCard(d, a); });
    return d;
  }
  function fillCard(d, a) {
    if (d.querySelector('.app-body')) return;
    var t = a.tgt;
    var facts = h('dl', { class: 'facts' });
    function fact(label, value) { if (value) { facts.appendChild(h('dt', null, label)); facts.appendChild(h('dd', null, value)); } }
    fact('Now', 'VNet ' + (a.vnet || '?') + (a.gw ? ' through gateway ' + a.gw : ' (no gateway found)'));
    if (t) {
      var tgt = 'Subnet ' + t.subnet + (t.prefix ? ' (' + t.prefix + ')' : '') + ' in VNet ' + t.vnet;
      var notes = [];
      if (t.newVnet) notes.push('new VNet' + (t.vnetPrefix ? ' ' + t.vnetPrefix : ''));
      if (t.newSubnet) notes.push('new subnet'); else notes.push('existing subnet');
      if (t.addition) notes.push('add ' + t.addition + ' to the address space');
      if (t.peerWith) notes.push('peer with ' + t.peerWith);
      fact('Target', tgt + ': ' + notes.join(', ') + (t.notes && t.notes.length ? '. ' + t.notes.join('. ') : ''));
    }
    if (a.strat && a.strat.name) fact('Approach', a.strat.name + (a.strat.reason ? ': ' + a.strat.reason : ''));
    (a.prep || []).forEach(function (p) {
      fact('Preparation', p.code + ' (' + p.title + '): ' + p.days + ' working days; start by ' + p.startBy + ', done by ' + p.doneBy);
    });
    fact('App', [a.kind, a.os, a.loc].filter(Boolean).join(' · ') + (a.plan ? ' · plan ' + a.plan + (a.sku ? ' (' + a.sku + ')' : '') : ''));
    fact('Subscription', a.sub + (a.subId && a.subId !== a.sub ? ' (' + a.subId + ')' : '') + ' · resource group ' + a.rg);
    fact('Tags', a.tags);
    facts.appendChild(h('dt', null, 'Portal'));
    facts.appendChild(h('dd', null, h('a', { href: PORTAL + encodeURI(a.id), target: '_blank', rel: 'noopener noreferrer' }, 'Open ' + a.name + ' in the Azure portal')));

    var expl = h('ul', { class: 'codes-expl' });
    a.blk.concat(a.lim, a.fnd).forEach(function (c) {
      var info = codes[c] || {};
      expl.appendChild(h('li', null, chip(c), ' ', h('span', { class: 'kind' }, KIND_LABEL[info.kind] || ''),
        info.meaning ? h('p', null, info.meaning) : null,
        info.fix ? h('p', null, h('strong', null, 'Fix: '), info.fix) : null));
    });
    a.unk.forEach(function (u) {
      var info = codes[u.code] || {};
      expl.appendChild(h('li', null, h('span', { class: 'chip k-unknown' }, (info.title || u.code) + '?'), ' ',
        h('span', { class: 'kind' }, 'Not decided'), h('p', null, u.reason || 'Data was missing.')));
    });
    (a.sup || []).forEach(function (x) {
      expl.appendChild(h('li', null, h('span', { class: 'chip k-suppressed' + (x.expired ? ' expired' : '') },
          x.code === '*' ? 'All codes' : ((codes[x.code] || {}).title || x.code)), ' ',
        h('span', { class: 'kind' }, x.expired ? 'Suppression expired on ' + x.until + ': it no longer counts as accepted'
          : 'Accepted until ' + x.until),
        h('p', null, h('strong', null, 'Reason: '), x.reason)));
    });
    var body = h('div', { class: 'app-body' }, facts);
    if (expl.childNodes.length) {
      body.appendChild(h('h4', null, 'What the codes mean for this app'));
      body.appendChild(expl);
    }
    body.appendChild(h('h4', null, a.steps.length ? a.steps.length + ' steps' : 'No steps in the plan for this app.'));
    if (a.steps.length) body.appendChild(stepList(a, 'a'));
    d.appendChild(body);
  }

  function codeBlock(text, label) {
    return h('div', { class: 'cmd' }, h('pre', null, h('code', null, text)),
      h('button', { type: 'button', class: 'copy', 'aria-label': label }, 'Copy'));
  }

  function stepList(owner, kind) {
    var ol = h('ol', { class: 'steps' });
    owner.steps.forEach(function (s, j) {
      var key = owner.keys[j];
      var box = h('input', { type: 'checkbox', class: 'tick', 'data-k': key, 'data-o': kind + owner.i,
        'aria-label': 'Done: step ' + (j + 1) + ' ' + s.t });
      box.checked = !!ticks[key];
      var li = h('li', { class: box.checked ? 'done' : '' },
        h('label', { class: 'step-head' }, box, h('span', { class: 'step-no' }, (j + 1) + '.'),
          s.ph ? h('span', { class: 'phase' }, s.ph) : null, h('span', { class: 'step-title' }, s.t)));
      if (s.cmd.length) li.appendChild(codeBlock(s.cmd.join('\n'), 'Copy the commands of step ' + (j + 1)));
      if (s.bicep) {
        li.appendChild(h('details', { class: 'bicep' }, h('summary', null, 'Bicep for this step'),
          codeBlock(s.bicep, 'Copy the Bicep of step ' + (j + 1))));
      }
      if (s.v) li.appendChild(h('p', { class: 'step-check' }, h('b', null, 'Check: '), s.v));
      if (s.rb) li.appendChild(h('p', { class: 'step-back' }, h('b', null, 'Rollback: '), s.rb));
      var said = (s.n ? [s.n] : []).concat((s.see || []).map(function (k) { return stepNotes[k] || ''; }));
      said = said.filter(function (t) { return t; });
      if (said.length) li.appendChild(h('p', { class: 'step-notes' }, h('b', null, 'Notes: '), said.join(' ')));
      ol.appendChild(li);
    });
    return ol;
  }

  /* ---- gateway cards, at the end of their wave ---- */
  var DECISION = { yes: 'Delete', no: 'Keep', verify: 'Verify first' };
  sections.forEach(function (sec) {
    var box = sec.querySelector('.gw-cards');
    (gatewaysByWave[sec.getAttribute('data-wave')] || []).forEach(function (g) {
      var what = g.decision === 'yes' ? 'Delete gateway ' : g.decision === 'verify' ? 'Check, then delete gateway ' : 'Clean up gateway ';
      box.appendChild(h('details', { class: 'gw-card', id: 'gw-' + g.i },
        h('summary', null, h('span', { class: 'badge ' + g.decision }, DECISION[g.decision] || g.decision),
          h('span', { class: 'gw-title' }, what + g.name),
          h('span', { class: 'app-progress' }, doneCount(g) + '/' + g.keys.length)),
        stepList(g, 'g')));
    });
  });

  /* ---- progress ---- */
  function updateProgress() {
    var all = 0, allDone = 0, waveDone = {};
    sections.forEach(function (sec) {
      var key = sec.getAttribute('data-wave');
      var n = 0, done = 0;
      (byWave[key] || []).forEach(function (a) { n += a.keys.length; done += doneCount(a); });
      (gatewaysByWave[key] || []).forEach(function (g) { n += g.keys.length; done += doneCount(g); });
      var bar = sec.querySelector('.wave-progress progress');
      bar.max = Math.max(n, 1); bar.value = done;
      sec.querySelector('.wave-done').textContent = done + ' of ' + n + ' steps done';
      all += n; allDone += done;
      waveDone[key] = done;
    });
    showOverall(allDone, all);
    if (SITE && !INDEX) savePageProgress(allDone, all, waveDone);
  }
  function showOverall(done, all, note) {
    var pct = all ? Math.floor(100 * done / all) : 0;
    $('overall-pct').textContent = pct + '%';
    $('overall-progress').max = Math.max(all, 1);
    $('overall-progress').value = done;
    $('overall-text').textContent = done + ' of ' + all + ' steps' + (note || '');
  }

  /* ---- a site: each page records its steps done; the overview adds them up ---- */
  function readPages() {
    try { return JSON.parse(window.localStorage.getItem(PAGES_KEY) || '{}') || {}; } catch (e) { return {}; }
  }
  function savePageProgress(done, all, waves) {
    var pages = readPages();
    pages[SITE.page] = { stamp: SITE.stamp, done: done, total: all, waves: waves };
    try { window.localStorage.setItem(PAGES_KEY, JSON.stringify(pages)); } catch (e) { /* ticks themselves are saved */ }
  }
  function drawIndexProgress() {
    var pages = readPages();
    var done = 0, all = 0, counted = 0, waveDone = {};
    (SITE.pages || []).forEach(function (p) {
      var saved = pages[p.slug];
      var fresh = saved && saved.stamp === SITE.stamp;
      all += p.total;
      var row = document.querySelector('tr[data-page="' + p.slug + '"] .page-progress');
      if (fresh) {
        counted++;
        done += saved.done;
        for (var k in saved.waves) if (Object.prototype.hasOwnProperty.call(saved.waves, k)) waveDone[k] = (waveDone[k] || 0) + saved.waves[k];
      }
      if (!row) return;
      row.textContent = '';
      if (fresh) {
        row.appendChild(h('progress', { max: Math.max(p.total, 1), value: saved.done }));
        row.appendChild(h('span', { class: 'page-done' }, saved.done + ' of ' + p.total));
      } else {
        row.appendChild(h('span', { class: 'page-done' }, 'not opened in this browser (' + p.total + ' steps)'));
      }
    });
    showOverall(done, all, counted < (SITE.pages || []).length ? ' (' + counted + ' of ' + SITE.pages.length + ' pages counted)' : '');
    $('pages-counted').textContent = counted < (SITE.pages || []).length
      ? 'Steps done count the pages opened in this browser since this runbook was generated (' + counted + ' of ' +
        SITE.pages.length + '). Open a page once to count the ticks it holds.' : '';
    Array.prototype.forEach.call(document.querySelectorAll('td.wave-progress-cell'), function (cell) {
      var key = cell.parentNode.getAttribute('data-wave');
      var n = Number(cell.getAttribute('data-total'));
      var d = waveDone[key] || 0;
      cell.textContent = '';
      cell.appendChild(h('progress', { max: Math.max(n, 1), value: d }));
      cell.appendChild(h('span', { class: 'wave-done' }, d + ' of ' + n));
    });
  }
  function refreshOwner(kind, i) {
    var owner = kind === 'a' ? apps[i] : gateways[i];
    var el = document.getElementById((kind === 'a' ? 'app-' : 'gw-') + i);
    if (!owner || !el) return;
    var done = doneCount(owner);
    var p = el.querySelector('summary .app-progress');
    if (p) {
      p.textContent = done + '/' + owner.keys.length;
      p.classList.toggle('done', owner.keys.length > 0 && done === owner.keys.length);
    }
  }
  document.addEventListener('change', function (e) {
    var box = e.target;
    if (!box.classList || !box.classList.contains('tick')) return;
    var key = box.getAttribute('data-k');
    if (box.checked) ticks[key] = 1; else delete ticks[key];
    saveTicks();
    box.closest('li').classList.toggle('done', box.checked);
    var o = box.getAttribute('data-o');
    refreshOwner(o.charAt(0), Number(o.slice(1)));
    updateProgress();
  });

  /* ---- copy buttons ---- */
  function copied(btn) {
    btn.textContent = 'Copied'; btn.classList.add('copied');
    setTimeout(function () { btn.textContent = 'Copy'; btn.classList.remove('copied'); }, 1500);
  }
  function fallbackCopy(text, btn) {
    var area = h('textarea', { readonly: true, 'aria-hidden': 'true' });
    area.value = text;
    area.className = 'offscreen';
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    document.body.removeChild(area);
    if (ok) copied(btn); else btn.textContent = 'Select and copy by hand';
  }
  document.addEventListener('click', function (e) {
    var btn = e.target.closest && e.target.closest('button.copy');
    if (!btn) return;
    var text = btn.parentNode.querySelector('pre').textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(btn); }, function () { fallbackCopy(text, btn); });
    } else {
      fallbackCopy(text, btn);
    }
  });

  function openShown(open) {
    Array.prototype.forEach.call(document.querySelectorAll('details.app'), function (d) {
      if (open) fillCard(d, apps[Number(d.getAttribute('data-i'))]);  // now, not on the later toggle event
      d.open = open;
    });
  }
  /* ---- controls ---- */
  var timer = null;
  if (!INDEX) {
    f.q.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(applyFilters, 120); });
    [f.sub, f.wave, f.ready, f.code, f.open].forEach(function (el) { el.addEventListener('change', applyFilters); });
    $('controls').addEventListener('submit', function (e) { e.preventDefault(); });
    $('controls').addEventListener('reset', function () { setTimeout(applyFilters, 0); });
    sections.forEach(function (sec) {
      sec.querySelector('.more').addEventListener('click', function () { drawMore(sec); });
    });
    $('expand-all').addEventListener('click', function () { openShown(true); });
    $('collapse-all').addEventListener('click', function () { openShown(false); });
  }

  /* ---- filters in the address (#wave=2&ready=blocked), so a filtered view can be shared ---- */
  function writeHash(st) {
    var parts = [];
    if (f.q.value) parts.push('q=' + encodeURIComponent(f.q.value));
    ['sub', 'wave', 'ready', 'code'].forEach(function (k) { if (st[k]) parts.push(k + '=' + encodeURIComponent(st[k])); });
    if (st.open) parts.push('open=1');
    var hash = parts.length ? '#' + parts.join('&') : '';
    if (hash !== window.location.hash && (hash || window.location.hash.indexOf('=') > 0)) {
      history.replaceState(null, '', hash || window.location.pathname + window.location.search);
    }
  }
  function readHash() {
    var text = window.location.hash.slice(1);
    if (text.indexOf('=') < 0) return;
    text.split('&').forEach(function (part) {
      var kv = part.split('=');
      var value = decodeURIComponent(kv[1] || '');
      if (kv[0] === 'open') f.open.checked = value === '1';
      else if (f[kv[0]] && kv[0] !== 'open') f[kv[0]].value = value;
    });
  }

  /* ---- print: draw the filtered apps open, if not too many ---- */
  window.addEventListener('beforeprint', function () {
    if (INDEX) return;
    var total = 0;
    sections.forEach(function (sec) { if (!sec.hidden) total += view[sec.getAttribute('data-wave')].list.length; });
    var note = $('print-note');
    if (total > PRINT_LIMIT) {
      note.hidden = false;
      note.textContent = total + ' apps match the filters: only the cards on screen are printed. Filter to ' +
        PRINT_LIMIT + ' apps or fewer (one wave, say) to print every step.';
      return;
    }
    note.hidden = true;
    sections.forEach(function (sec) { if (!sec.hidden) drawMore(sec, true); });
    openShown(true);
  });

  /* ---- days left today, if the page is read after the plan date ---- */
  (function () {
    var end = Date.parse(DATA.retirement + 'T00:00:00Z');
    var asOf = Date.parse(DATA.asOf + 'T00:00:00Z');
    var now = new Date();
    var today = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
    if (isNaN(end) || isNaN(asOf) || today <= asOf) return;
    var days = Math.round((end - today) / 86400000);
    $('today-days').textContent = ' Today: ' + (days >= 0 ? days + ' days left.' : 'the retirement date has passed.');
  })();

  /* ---- this week and next: what starts, what is overdue, what waits for preparation (today's date) ---- */
  function drawNow() {
    var body = $('now-body');
    if (!body) return;
    var now = new Date();
    var today = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
    var monday = today - ((now.getDay() + 6) % 7) * 86400000;
    var nextMonday = monday + 7 * 86400000, after = nextMonday + 7 * 86400000;
    function day(s) { return Date.parse(s + 'T00:00:00Z'); }
    var waveApps = {};
    apps.forEach(function (a) { (waveApps[a.wave] = waveApps[a.wave] || []).push(a); });
    var rows = { thisWeek: [], next: [], overdue: [], waiting: [] };
    (DATA.waves || []).forEach(function (w) {
      var s = day(w.start), e = day(w.end);
      if (isNaN(s) || isNaN(e)) return;
      var label = 'Wave ' + w.n + ' (' + w.start + ' to ' + w.end + '): ' + w.apps + ' app(s)' + (w.gateways ? ', ' + w.gateways + ' gateway clean-up(s)' : '');
      if (s <= today && e >= today) rows.thisWeek.push('Running: ' + label);
      else if (s > today && s < nextMonday) rows.thisWeek.push('Starts: ' + label);
      else if (s >= nextMonday && s < after) rows.next.push('Starts: ' + label);
      if (e < today) {
        var left = (waveApps[w.n] || []).filter(function (a) { return a.keys.length && doneCount(a) < a.keys.length; });
        if (left.length) rows.overdue.push(label + ': ' + left.length + ' app(s) not done (' + left.slice(0, 5).map(function (a) { return a.name; }).join(', ') + (left.length > 5 ? ' …' : '') + ')');
      }
      if (w.waits && s >= today) rows.waiting.push(label + ' waits for preparation');
    });
    apps.forEach(function (a) {
      (a.prep || []).forEach(function (p) {
        var by = day(p.startBy), done = day(p.doneBy);
        var text = a.name + ': ' + p.code + ', ' + p.days + ' working days, start by ' + p.startBy + ', done by ' + p.doneBy;
        if (done < today) return;
        if (by < monday) rows.overdue.push('Preparation should have started: ' + text);
        else if (by < nextMonday) rows.thisWeek.push('Preparation to start: ' + text);
        else if (by < after) rows.next.push('Preparation to start: ' + text);
      });
    });
    var groups = [['This week', rows.thisWeek, 'this-week'], ['Next week', rows.next, 'next-week'],
                  ['Overdue', rows.overdue, 'overdue'], ['Waiting for preparation', rows.waiting, 'waiting']];
    body.textContent = '';
    body.appendChild(h('p', { class: 'meta' }, 'As of ' + new Date(today).toISOString().slice(0, 10) + ' (today, in this browser).'));
    groups.forEach(function (g) {
      var box = h('div', { class: 'now-group ' + g[2], 'data-group': g[2] }, h('h3', null, g[0] + ' (' + g[1].length + ')'));
      var list = h('ul');
      g[1].slice(0, 30).forEach(function (line) { list.appendChild(h('li', null, line)); });
      if (g[1].length > 30) list.appendChild(h('li', null, '… and ' + (g[1].length - 30) + ' more'));
      if (!g[1].length) list.appendChild(h('li', { class: 'none' }, 'Nothing.'));
      box.appendChild(list);
      body.appendChild(box);
    });
  }

  (function () {
    var toggle = document.querySelector('.controls-toggle');
    if (!toggle) return;
    toggle.addEventListener('click', function () {
      var open = $('controls').classList.toggle('open');
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    });
  })();

  if (INDEX) {
    drawNow();
    drawIndexProgress();
    // ticks made in another tab of this browser show here at once
    window.addEventListener('storage', function (e) { if (e.key === PAGES_KEY) drawIndexProgress(); });
  } else {
    readHash();
    drawNow();
    applyFilters();
    updateProgress();
  }
  document.documentElement.setAttribute('data-ready', '1');
  if (window.performance && performance.mark) performance.mark('runbook-ready');
})();
