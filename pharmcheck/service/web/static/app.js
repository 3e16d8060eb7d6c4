// Enhancements only: every form works without this file.
"use strict";
document.addEventListener("keydown", function (event) {
  // Ctrl+Enter (Cmd+Enter) in the paste box checks the list, as in other clinical text boxes.
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.id === "medications") {
    event.preventDefault();
    var button = document.querySelector("#check-form button.primary");
    if (button) { button.click(); }
  }
});
document.addEventListener("DOMContentLoaded", function () {
  // After a check, the results are where the reader wants to be.
  var results = document.getElementById("results-heading");
  var error = document.getElementById("form-error");
  if (error) { error.setAttribute("tabindex", "-1"); error.focus(); }
  else if (results && document.querySelector(".check")) { results.focus(); }
});
