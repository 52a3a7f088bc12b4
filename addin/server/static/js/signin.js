// ExcelFlow token sign-in: keeps the token in this browser's localStorage for auth.js.
document.addEventListener("DOMContentLoaded", function () {
  const form = document.getElementById("excelflow-signin");
  if (!form) return;
  const input = document.getElementById("excelflow-token");
  const state = document.getElementById("excelflow-signin-state");
  const key = "excelflow.token";
  function show() {
    state.textContent = localStorage.getItem(key)
      ? "Signed in · 已登录"
      : "Not signed in · 未登录";
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const token = input.value.trim();
    if (token) localStorage.setItem(key, token);
    input.value = "";
    show();
  });
  document.getElementById("excelflow-signout").addEventListener("click", function () {
    localStorage.removeItem(key);
    show();
  });
  show();
});
