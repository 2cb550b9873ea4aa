// A background job's progress (templates/jobs/_progress.html): ask the job's small JSON answer every second
// and move the <progress> bar; when the job is done, show the way on. Without JavaScript the page reloads.
(function () {
  document.querySelectorAll("[data-job-status]").forEach(function (box) {
    if (box.hasAttribute("data-job-finished")) return;
    const bar = box.querySelector("progress");
    function show(job) {
      box.querySelector("[data-job-label]").textContent = job.label;
      box.querySelector("[data-job-message]").textContent = job.message || "";
      if (job.total) {
        bar.max = job.total;
        bar.value = job.done;
        box.querySelector("[data-job-count]").textContent = job.done.toLocaleString() + " / " + job.total.toLocaleString();
      }
      if (job.finished) {
        if (!job.total) bar.value = bar.max;
        if (job.next_url) {
          const next = box.querySelector("[data-job-next]");
          next.querySelector("a").href = job.next_url;
          next.classList.remove("d-none");
        }
      }
    }
    function poll() {
      fetch(box.dataset.jobStatus, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (job) {
          if (!job) return;
          show(job);
          if (job.finished) window.location.reload(); else setTimeout(poll, 1000);
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    setTimeout(poll, 1000);
  });
})();
