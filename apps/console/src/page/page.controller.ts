import { applyDecorators, Controller, Get, Header } from '@nestjs/common';
import { Public } from '@relay/service-runtime';
import { loadPageAssets } from './page-assets';

const SECURITY_HEADERS = [
  // The page has no inline script or style: scripts, styles and API calls go to this origin only.
  Header('content-security-policy', "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
  Header('x-content-type-options', 'nosniff'),
];
const asset = (contentType: string) => applyDecorators(Header('content-type', contentType), ...SECURITY_HEADERS);
const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/**
 * The page itself: static files with no secret in them, so served without a token (the API the page
 * calls needs an operator's token: see the API controllers). A fixed list of routes, each a file
 * read at start-up.
 */
@Public()
@Controller()
export class PageController {
  private readonly assets = loadPageAssets();

  @Get()
  @asset(HTML)
  index(): Buffer {
    return this.assets.get('')!.body;
  }

  @Get('console.js')
  @asset(JS)
  script(): Buffer {
    return this.assets.get('console.js')!.body;
  }

  @Get('console.css')
  @asset(CSS)
  style(): Buffer {
    return this.assets.get('console.css')!.body;
  }

  @Get('vendor/uplot/uPlot.iife.min.js')
  @asset(JS)
  chartScript(): Buffer {
    return this.assets.get('vendor/uplot/uPlot.iife.min.js')!.body;
  }

  @Get('vendor/uplot/uPlot.min.css')
  @asset(CSS)
  chartStyle(): Buffer {
    return this.assets.get('vendor/uplot/uPlot.min.css')!.body;
  }
}
