// Behaviour shared by every page. The Content-Security-Policy allows no inline script or on...="" handler:
// a template marks an element with a data- attribute and the code here (or a page's own static file,
// e.g. assistance_form.js) finds it.

// <form data-confirm="Question?">: ask before submitting.
document.addEventListener("submit", function (event) {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// <input type="checkbox" data-select-all=".selector">: ticks or unticks every box the selector names.
document.querySelectorAll("[data-select-all]").forEach(function (master) {
  master.addEventListener("change", function () {
    document.querySelectorAll(master.dataset.selectAll).forEach(function (box) { box.checked = master.checked; });
  });
});

// <a data-history-back href="fallback">: the browser's Back (the form as it was typed), else the link.
document.querySelectorAll("a[data-history-back]").forEach(function (link) {
  link.addEventListener("click", function (event) {
    if (window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
});
