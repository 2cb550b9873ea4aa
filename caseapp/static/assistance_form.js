// Show the amount and currency only for types that carry an amount; the server ignores them otherwise.
(function () {
  const select = document.getElementById("type_id");
  if (!select) return;
  const status = document.getElementById("status");
  function update() {
    const option = select.options[select.selectedIndex];
    const carries = option && option.dataset.amount === "yes";
    const approval = option && option.dataset.approval === "yes";
    document.querySelectorAll(".money-field").forEach(function (el) { el.hidden = !carries; });
    document.getElementById("approval-hint").hidden = !approval;
    if (status && !select.disabled) {
      for (const opt of status.options) {
        if (opt.value === "delivered") opt.disabled = approval;
      }
      if (approval && status.value === "delivered") status.value = "requested";
    }
  }
  select.addEventListener("change", update);
  update();
})();

// Offer only the projects that fit the chosen type and date (the server checks the same rule); preselect
// the one project that fits, and say so when none does (the record is then Unassigned).
(function () {
  const project = document.getElementById("project_id");
  const type = document.getElementById("type_id");
  const day = document.getElementById("provided_on");
  if (!project || !type) return;
  const none = document.getElementById("project-none");
  function fits(opt) {
    if (opt.dataset.current === "yes") return true;
    const types = opt.dataset.types ? opt.dataset.types.split(",") : [];
    if (types.length && !types.includes(type.value)) return false;
    const on = day && /^\d{4}-\d{2}-\d{2}$/.test(day.value) ? day.value : null;
    if (on && opt.dataset.start && on < opt.dataset.start) return false;
    if (on && opt.dataset.end && on > opt.dataset.end) return false;
    return true;
  }
  function update() {
    const fitting = [];
    let unassigned = null;
    for (const opt of project.options) {
      if (opt.dataset.auto === "yes") continue;
      if (opt.dataset.unassigned === "yes") { unassigned = opt; continue; }
      const ok = fits(opt);
      opt.hidden = !ok;
      opt.disabled = !ok;
      if (ok) fitting.push(opt);
    }
    const chosen = project.options[project.selectedIndex];
    if (unassigned) {
      unassigned.hidden = unassigned.disabled = fitting.length > 0;
    }
    if (fitting.length === 1 && (!chosen || chosen.disabled || chosen.dataset.auto === "yes")) {
      project.value = fitting[0].value;
    } else if (fitting.length === 0 && unassigned && (!chosen || chosen.disabled || chosen.dataset.auto === "yes")) {
      project.value = unassigned.value;
    } else if (chosen && chosen.disabled) {
      project.value = "0";
    }
    if (none) none.hidden = fitting.length > 0;
  }
  type.addEventListener("change", update);
  if (day) day.addEventListener("change", update);
  update();
})();
