// Finding actions: JSON calls to the console API with the session's anti-CSRF token.
(function () {
  var box = document.querySelector("section.actions");
  if (!box) { return; }
  var csrf = document.querySelector('meta[name="fingertip-csrf"]').getAttribute("content");
  var api = box.getAttribute("data-api");
  var out = document.getElementById("action-result");
  function call(action, body) {
    out.textContent = "处理中…";
    fetch(api + "/" + action, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-Fingertip-CSRF": csrf},
      body: body ? JSON.stringify(body) : "{}"
    }).then(function (r) {
      return r.json().then(function (data) { return {status: r.status, data: data}; });
    }).then(function (res) {
      if (res.status >= 200 && res.status < 300) {
        out.textContent = "已完成，正在刷新…";
        window.location.reload();
      } else {
        out.textContent = "失败（" + res.status + "）：" + (typeof res.data.detail === "string" ? res.data.detail : JSON.stringify(res.data.detail));
      }
    }).catch(function (e) { out.textContent = "失败：" + e; });
  }
  document.querySelectorAll("button[data-action]").forEach(function (b) {
    b.addEventListener("click", function () { call(b.getAttribute("data-action")); });
  });
  var form = document.getElementById("waive-form");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    call("waive", {reason: form.reason.value, approver: form.approver.value, expires_on: form.expires_on.value});
  });
})();
