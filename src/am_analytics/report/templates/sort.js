// Click a column header to sort its table; again to reverse. Numbers sort by data-value.
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (header, column) {
    header.tabIndex = 0;
    header.addEventListener("click", function () {
      var body = table.tBodies[0];
      var ascending = header.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var numeric = header.classList.contains("num");
      var key = function (row) {
        var cell = row.cells[column];
        if (!numeric) { return cell.textContent; }
        var value = parseFloat(cell.getAttribute("data-value"));
        return isNaN(value) ? null : value;
      };
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === null) { return 1; }  // missing values last, either way
        if (y === null) { return -1; }
        var order = numeric ? x - y : x.localeCompare(y, document.documentElement.lang);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
