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
    var link = event.target.closest && event.target.closest('a.cal-meeting');
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

// The team week sends its free times as plain marks (<b class="f cN wN">:
// column N of the lane, N five-minute columns wide) to stay small; here
// each becomes a link to a summons for that caseworker, day and period.
(function () {
  'use strict';
  if (window.planpoolTeamFree) { return; }
  window.planpoolTeamFree = true;

  function hm(minutes) {
    var h = Math.floor(minutes / 60), m = minutes % 60;
    return (h < 10 ? '0' : '') + h + ':' + (m < 10 ? '0' : '') + m;
  }

  function linkFor(mark, week, lane, cw, days) {
    var col = parseInt(/(?:^| )c(\d+)/.exec(mark.className)[1], 10);
    var span = parseInt(/(?:^| )w(\d+)/.exec(mark.className)[1], 10);
    var start = parseInt(week.dataset.top, 10) + (col - 1) * 5;
    var end = start + span * 5;
    var link = document.createElement('a');
    link.className = mark.className;
    link.href = week.dataset['new'] + '?caseworker=' + cw + '&date=' + lane.dataset.d +
      '&time=' + hm(start) + '&team=' + week.dataset.team + '&duration=' + (end - start);
    link.setAttribute('aria-label', week.dataset.free.replace('%(day)s', days[lane.dataset.d] || '')
      .replace('%(start)s', hm(start)).replace('%(end)s', hm(end)));
    return link;
  }

  function enhance(root) {
    var weeks = root.matches && root.matches('.team-week') ? [root] : [];
    weeks = weeks.concat(Array.prototype.slice.call(root.querySelectorAll('.team-week')));
    weeks.forEach(function (week) {
      var days = {};
      week.querySelectorAll('.team-day-head').forEach(function (head) {
        days[head.dataset.d] = head.textContent.trim();
      });
      week.querySelectorAll('[data-cw]').forEach(function (row) {
        row.querySelectorAll('.tl').forEach(function (lane) {
          lane.querySelectorAll('b.f').forEach(function (mark) {
            mark.replaceWith(linkFor(mark, week, lane, row.dataset.cw, days));
          });
        });
      });
    });
  }

  document.addEventListener('htmx:load', function (event) { enhance(event.detail.elt); });
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { enhance(document); });
  } else {
    enhance(document);
  }
})();

// Arrow keys move between the times and meetings of a calendar grid (the
// week's columns, the team timeline): to the nearest one in that direction.
(function () {
  'use strict';
  if (window.planpoolGridKeys) { return; }
  window.planpoolGridKeys = true;
  var ITEMS = 'a.cal-free, a.cal-meeting, .tl > a';
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

  document.addEventListener('keydown', function (event) {
    var move = KEYS[event.key];
    var item = move && event.target.closest && event.target.closest(ITEMS);
    var grid = item && item.closest('.cal-week, .team-week');
    if (!grid || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    var next = nearest(item, Array.prototype.slice.call(grid.querySelectorAll(ITEMS)),
                       move[0], move[1]);
    if (next) {
      event.preventDefault();
      next.focus();
      next.scrollIntoView({block: 'nearest', inline: 'nearest'});
    }
  });
})();
