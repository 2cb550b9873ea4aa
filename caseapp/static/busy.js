// Busy feedback for slow work (import, export, backup): the first click disables the button and shows what is
// happening, so a second click cannot start the work twice. Without JavaScript the buttons work as before.
// Mark a submit button or a download link with data-busy-text="Importing…".
(function () {
  function markBusy(control) {
    control.dataset.idleText = control.textContent;
    control.textContent = control.dataset.busyText;
    control.classList.add("disabled");
    control.setAttribute("aria-disabled", "true");
    control.setAttribute("aria-busy", "true");
  }
  function markIdle(control) {
    if (!control.dataset.idleText) return;
    control.textContent = control.dataset.idleText;
    delete control.dataset.idleText;
    control.classList.remove("disabled");
    control.removeAttribute("aria-disabled");
    control.removeAttribute("aria-busy");
    control.disabled = false;
  }
  document.addEventListener("submit", function (event) {
    const button = event.submitter;
    if (!button || !button.dataset.busyText || event.defaultPrevented) return;
    if (button.name) {  // a disabled button is not sent: keep its name and value in the form
      const copy = document.createElement("input");
      copy.type = "hidden"; copy.name = button.name; copy.value = button.value;
      button.form.appendChild(copy);
    }
    markBusy(button);
    setTimeout(function () { button.disabled = true; }, 0);
  });
  document.addEventListener("click", function (event) {
    const link = event.target.closest("a[data-busy-text]");
    if (!link) return;
    if (link.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
    markBusy(link);
    // A download leaves the page where it is: offer the link again once the file has had time to start.
    setTimeout(function () { markIdle(link); }, 8000);
  });
  // Coming back with the browser's Back button shows the page as it was left: make it usable again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[data-busy-text]").forEach(markIdle);
  });
})();
