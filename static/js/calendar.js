// Calendar range selection: shift-click a free time, then shift-click another
// free time of the same day to start a summons for the whole range: its
// start time and duration (a plain click opens the summons at once, so it
// cannot mark the start). Without this script every free time still opens
// the summons at its own time.
(function () {
  'use strict';
  // Boosted navigation runs this again on every calendar page: listen once.
  if (window.planpoolRangeSelection) { return; }
  window.planpoolRangeSelection = true;
  var first = null;

  function minutes(hhmm) {  // "09:30" -> 570
    var parts = hhmm.split(':');
    return parseInt(parts[0], 10) * 60 + parseInt(parts[1], 10);
  }

  document.addEventListener('click', function (event) {
    var slot = event.target.closest && event.target.closest('a.cal-free[data-stop]');
    if (!slot) { return; }
    if (event.shiftKey && first && document.contains(first) &&
        first.dataset.day === slot.dataset.day) {
      event.preventDefault();
      event.stopPropagation();
      var from = slot.dataset.stop > first.dataset.stop ? first : slot;
      var to = from === first ? slot : first;
      var url = new URL(first.href, window.location.href);
      var start = from.textContent.trim();
      url.searchParams.set('time', start);
      url.searchParams.set('duration', String(minutes(to.dataset.stop) - minutes(start)));
      window.location.assign(url.toString());
      return;
    }
    first = slot;
    if (event.shiftKey) {  // a first shift-click only marks the start
      event.preventDefault();
      event.stopPropagation();
      document.querySelectorAll('a.cal-free.is-selected').forEach(function (el) {
        el.classList.remove('is-selected');
      });
      slot.classList.add('is-selected');
    }
  }, true);
})();

// A meeting's details open beside the calendar (the meeting page as a
// fragment); without this script the link opens the whole meeting page.
(function () {
  'use strict';
  if (window.planpoolMeetingDetails) { return; }
  window.planpoolMeetingDetails = true;

  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('a.cal-meeting, .tw td > a:not(.fr)');
    var panel = document.getElementById('cal-details');
    if (!link || !panel || !window.htmx || event.ctrlKey || event.metaKey ||
        event.shiftKey || event.button !== 0) { return; }
    event.preventDefault();
    event.stopPropagation();
    window.htmx.ajax('GET', link.getAttribute('href'),
                     {target: '#cal-details', swap: 'innerHTML'}).then(function () {
      var heading = panel.querySelector('h2');
      if (heading) { heading.focus(); }
      panel.scrollIntoView({block: 'nearest'});
    });
  }, true);
})();

// The team week sends each day's free periods as one link to that
// caseworker's day (without script every free quarter hour there opens a
// summons); here each period becomes a link to a summons for it: that
// caseworker, day, start and length, named from the table's data-free.
(function () {
  'use strict';
  if (window.planpoolTeamFree) { return; }
  window.planpoolTeamFree = true;
  var PERIOD = /(\d\d):(\d\d)\u2013(\d\d):(\d\d)/g;

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (all, key) { return values[key]; });
  }

  function periods(free, table) {
    var cell = free.parentNode, row = cell.parentNode;
    var head = table.tHead.rows[0].cells[cell.cellIndex];
    var who = row.cells[0].textContent.trim(), day = head.textContent.trim();
    var box = document.createElement('p');
    box.className = 'fr';
    box.appendChild(free.querySelector('b'));
    var text = free.textContent, match;
    PERIOD.lastIndex = 0;
    while ((match = PERIOD.exec(text)) !== null) {
      var start = match[1] + ':' + match[2], end = match[3] + ':' + match[4];
      var minutes = (match[3] * 60 + Number(match[4])) - (match[1] * 60 + Number(match[2]));
      var link = document.createElement('a');
      link.href = table.dataset['new'] + '?caseworker=' + row.dataset.cw + '&date=' +
        head.dataset.d + '&time=' + start + '&team=' + table.dataset.team +
        '&duration=' + minutes;
      link.textContent = match[0];
      link.setAttribute('aria-label', fill(table.dataset.free,
                                           {who: who, day: day, start: start, end: end}));
      box.appendChild(link);
    }
    free.replaceWith(box);
  }

  function enhance(root) {
    var tables = root.matches && root.matches('table.tw') ? [root] : [];
    tables = tables.concat(Array.prototype.slice.call(root.querySelectorAll('table.tw')));
    tables.forEach(function (table) {
      table.querySelectorAll('td > a.fr').forEach(function (free) { periods(free, table); });
    });
  }

  document.addEventListener('htmx:load', function (event) { enhance(event.detail.elt); });
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { enhance(document); });
  } else {
    enhance(document);
  }
})();

// Arrow keys move between the times and meetings of a calendar grid: in the
// week's columns to the nearest one in that direction; in the team week
// along a day's list (up, down), then on to the day before or after (left,
// right) or the caseworker above or below.
(function () {
  'use strict';
  if (window.planpoolGridKeys) { return; }
  window.planpoolGridKeys = true;
  var ITEMS = 'a.cal-free, a.cal-meeting, .tw td a';
  var KEYS = {ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0]};

  function centre(el) {
    var r = el.getBoundingClientRect();
    return {x: r.left + r.width / 2, y: r.top + r.height / 2};
  }

  function nearest(from, items, dx, dy) {
    var here = centre(from), best = null, bestScore = Infinity;
    items.forEach(function (el) {
      if (el === from) { return; }
      var c = centre(el);
      var along = (c.x - here.x) * dx + (c.y - here.y) * dy;
      if (along <= 1) { return; }
      var across = Math.abs((c.x - here.x) * dy) + Math.abs((c.y - here.y) * dx);
      var score = along + 3 * across;
      if (score < bestScore) { bestScore = score; best = el; }
    });
    return best;
  }

  function inTeamWeek(item, key) {
    var cell = item.closest('td'), row = cell.parentNode, found;
    var links = Array.prototype.slice.call(cell.querySelectorAll('a'));
    var here = links.indexOf(item);
    if (key === 'ArrowDown' && here < links.length - 1) { return links[here + 1]; }
    if (key === 'ArrowUp' && here > 0) { return links[here - 1]; }
    var step = key === 'ArrowRight' || key === 'ArrowDown' ? 1 : -1;
    if (key === 'ArrowLeft' || key === 'ArrowRight') {   // cell 0 holds the name
      for (var c = cell.cellIndex + step; c > 0 && c < row.cells.length; c += step) {
        found = row.cells[c].querySelector('a');
        if (found) { return found; }
      }
      return null;
    }
    var rows = row.parentNode.rows;
    for (var r = row.sectionRowIndex + step; r >= 0 && r < rows.length; r += step) {
      found = rows[r].cells[cell.cellIndex].querySelectorAll('a');
      if (found.length) { return found[step > 0 ? 0 : found.length - 1]; }
    }
    return null;
  }

  document.addEventListener('keydown', function (event) {
    var move = KEYS[event.key];
    var item = move && event.target.closest && event.target.closest(ITEMS);
    var grid = item && item.closest('.cal-week, .tw');
    if (!grid || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    var next = grid.matches('.tw') ? inTeamWeek(item, event.key) :
      nearest(item, Array.prototype.slice.call(grid.querySelectorAll(ITEMS)), move[0], move[1]);
    if (next) {
      event.preventDefault();
      next.focus();
      next.scrollIntoView({block: 'nearest', inline: 'nearest'});
    }
  });
})();
