// The theme's header is sticky and taller than the theme assumes (4rem) when its
// items wrap onto two rows: keep the scroll padding equal to its real height, so
// the entry a link points to (#spikewidgets.tasks.Task.score) is not under it.
(() => {
  const fit = () => {
    const header = document.querySelector(".bd-header");
    if (header) {
      document.documentElement.style.scrollPaddingTop = `${header.offsetHeight + 16}px`;
    }
  };
  const reveal = () => {
    fit();
    const id = decodeURIComponent(window.location.hash.slice(1));
    const target = id ? document.getElementById(id) : null;
    if (target) target.scrollIntoView();
  };
  window.addEventListener("resize", fit);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", reveal);
  } else {
    reveal();
  }
})();
