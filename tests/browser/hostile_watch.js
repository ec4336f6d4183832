// Added with page.add_init_script: runs in every document before its own scripts, whatever the
// page's Content-Security-Policy says, and reports each violation to the console for the test.
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`securitypolicyviolation: ${event.violatedDirective} ${event.blockedURI}`);
});
