/* The plan form (speednet console): once a version is published, the submit button says what
   it will do, "Revise" or "Re-generate from scratch", following the "How to plan" choice. The
   labels come from the button's data-label-<mode> attributes; the server renders the label of
   the choice it checked, so without this script the page still reads right on load. */
(function () {
  "use strict";

  function follow(form) {
    var button = form.querySelector("[data-label-revise]");
    if (!button) { return; }
    function update() {
      var chosen = form.querySelector('input[name="mode"]:checked');
      var label = chosen && button.getAttribute("data-label-" + chosen.value);
      if (!label) { return; }
      if (button.tagName === "INPUT") { button.value = label; } else { button.textContent = label; }
    }
    form.addEventListener("change", function (event) {
      if (event.target && event.target.name === "mode") { update(); }
    });
    update();  // a restored form (back button) may have the other choice checked
  }

  Array.prototype.forEach.call(document.querySelectorAll("form"), follow);
}());
