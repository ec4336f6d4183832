// A form with data-confirm asks before it is sent ("Publish edition 2 from 2026-12-07?").
// {date} in the question is the form's date field as the browser holds it (YYYY-MM-DD).
// Without script the form is sent as it is; the server checks everything anyway.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.dataset && form.dataset.confirm;
  if (!question) return;
  const date = form.querySelector("input[type=date]");
  if (!window.confirm(question.replace("{date}", date ? date.value : ""))) event.preventDefault();
});
