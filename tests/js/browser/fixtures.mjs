// Media made at test time by real tools (FFmpeg), and a pixel reader for screenshots.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

export const FIXTURES = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-fixtures-'));

function ffmpeg(args) {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

// A PNG of one solid colour (an ffmpeg colour name or 0xRRGGBB).
export function solidPng(name, color, size = '640x360') {
  const out = path.join(FIXTURES, name);
  ffmpeg(['-f', 'lavfi', '-i', `color=c=${color}:s=${size}`, '-frames:v', '1', out]);
  return out;
}

// An H.264 MP4 of `seconds` seconds: a moving test pattern, or noise for a bigger file. `codec`
// makes another kind (e.g. 'mpeg4': an MP4 some players cannot decode).
export function videoMp4(name, seconds = 3, { noise = false, size = '640x360', codec = 'libx264' } = {}) {
  const out = path.join(FIXTURES, name);
  const src = noise ? `nullsrc=s=${size}:r=25,geq=random(1)*255:128:128` : `testsrc2=s=${size}:r=25`;
  ffmpeg(['-f', 'lavfi', '-i', src, '-t', String(seconds), '-c:v', codec, '-pix_fmt', 'yuv420p',
    ...(noise ? ['-b:v', '8M'] : []), '-movflags', '+faststart', out]);
  return out;
}

// The colour of one pixel of the page (a 1×1 screenshot, decoded here: PNG is zlib + a filter byte).
export async function pixel(page, x, y) {
  const png = Buffer.from(await page.screenshot({ clip: { x, y, width: 1, height: 1 }, encoding: 'base64' }), 'base64');
  let off = 8, idat = [], colorType = 6;
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('ascii', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') colorType = data[9];
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  // raw[0] is the row filter; for a single pixel every filter leaves the bytes as they are except
  // Sub/Up/Avg/Paeth against zeros, which also leave them unchanged.
  return { r: raw[1], g: raw[2], b: raw[3], colorType };
}

export function near(c, rgb, tolerance = 40) {
  return Math.abs(c.r - rgb[0]) <= tolerance && Math.abs(c.g - rgb[1]) <= tolerance && Math.abs(c.b - rgb[2]) <= tolerance;
}

// An H.264 MP4 of one solid colour (for pixel checks on a playing video).
export function solidMp4(name, color, seconds = 3, size = '320x240') {
  const out = path.join(FIXTURES, name);
  ffmpeg(['-f', 'lavfi', '-i', `color=c=${color}:s=${size}:r=25`, '-t', String(seconds), '-c:v', 'libx264',
    '-pix_fmt', 'yuv420p', '-movflags', '+faststart', out]);
  return out;
}

// An MP3 of a sine tone.
export function toneMp3(name, seconds = 3, frequency = 440) {
  const out = path.join(FIXTURES, name);
  ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=${frequency}:duration=${seconds}`, '-c:a', 'libmp3lame', out]);
  return out;
}

// A real PDF of `pages` pages, printed by Chromium (`browser` is a puppeteer Browser).
export async function printedPdf(browser, name, pages = 1) {
  const p = await browser.newPage();
  const body = Array.from({ length: pages }, (_, i) => `<section style="break-after: page"><h1>Slide ${i + 1}</h1></section>`).join('');
  await p.setContent(`<!doctype html><title>${name}</title>${body}`);
  const out = path.join(FIXTURES, name);
  fs.writeFileSync(out, await p.pdf({ format: 'A4' }));
  await p.close();
  return out;
}
