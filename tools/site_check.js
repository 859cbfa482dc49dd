// A look at the built documentation site in headless Chromium: navigation, search, and no
// request leaving 127.0.0.1. Not part of CI (it needs playwright-core from npm, and a
// browser); run it by hand after changing the site's theme or structure:
//
//   mkdocs build --strict && (cd site && python -m http.server 8765 --bind 127.0.0.1 &)
//   npm install --prefix /tmp/pw playwright-core@1
//   NODE_PATH=/tmp/pw/node_modules node tools/site_check.js http://127.0.0.1:8765 /tmp/shots
//
// It writes screenshots (home, the policy reference, a search) to the given folder; they are
// for looking at, not for committing. Exit 1 if anything fails.
const { chromium } = require('playwright-core');
(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const external = [];
  page.on('request', r => { if (!r.url().startsWith('http://127.0.0.1')) external.push(r.url()); });
  const [base, shots = '/tmp'] = process.argv.slice(2);
  await page.goto(base + '/');
  await page.screenshot({ path: `${shots}/home.png` });
  await page.goto(base + '/policy/reference/');
  await page.screenshot({ path: `${shots}/policy-reference.png` });
  await page.goto(base + '/');
  // navigation: click the Runbooks section, then "Fail a region over"
  await page.click('nav.md-nav--primary >> text=Fail a region over');
  await page.waitForLoadState();
  console.log('after nav click:', page.url(), '|', await page.title());
  // search
  await page.click('label.md-search__icon, .md-search__input');
  await page.fill('input.md-search__input', 'override-compliance');
  await page.waitForSelector('.md-search-result__item', { timeout: 10000 });
  const hits = await page.$$eval('.md-search-result__item a', as => as.slice(0, 5).map(a => a.getAttribute('href')));
  console.log('search hits:', (await page.$$('.md-search-result__item')).length, hits);
  await page.screenshot({ path: `${shots}/search.png` });
  await page.click('.md-search-result__item a');
  await page.waitForLoadState();
  console.log('after search click:', page.url());
  console.log('external requests:', external);
  if (external.length || !hits.length) process.exit(1);
  await browser.close();
})().catch(e => { console.error(e); process.exit(1); });
