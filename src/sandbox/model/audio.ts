/**
 * Small, valid audio files for the speech route, one encoder per `response_format`. There is no
 * real codec here: `pcm`, `wav` and `flac` carry a quiet triangle tone (FLAC as verbatim
 * subframes), `mp3`, `aac` and `opus` carry silence in their smallest legal frames. Each names
 * the input's digest where its format has room for text (an ID3 tag, Vorbis comments), and its
 * length follows the requested sample count, so equal inputs give equal files.
 */
/** The API's sample rate for `pcm`, used by every format here. */
export const SAMPLE_RATE = 24_000;
const TAG_KEY = 'axonflow-sandbox';

export const AUDIO_CONTENT_TYPES: Record<string, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

export function encodeAudio(format: string, samples: number, digest: string): Buffer {
  switch (format) {
    case 'pcm':
      return littleEndian(tone(samples, digest));
    case 'wav':
      return wav(littleEndian(tone(samples, digest)));
    case 'flac':
      return flac(tone(samples, digest), digest);
    case 'aac':
      return aac(samples, digest);
    case 'opus':
      return opus(samples, digest);
    default:
      return mp3(samples, digest);
  }
}

/**
 * 16-bit mono samples of a triangle wave, 220–659 Hz by digest, at a tenth of full scale.
 * Integer arithmetic only, so the samples are the same on every platform.
 */
function tone(samples: number, digest: string): Int16Array {
  const hertz = 220 + (Number.parseInt(digest.slice(0, 4), 16) % 440);
  const period = Math.max(2, Math.round(SAMPLE_RATE / hertz));
  const amplitude = 3_276;
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) {
    const phase = i % period;
    const rise = Math.trunc((4 * amplitude * phase) / period);
    out[i] = phase < period / 2 ? rise - amplitude : 3 * amplitude - rise;
  }
  return out;
}

/** The samples as `pcm` and WAV carry them: little-endian whatever the host's order. */
function littleEndian(pcm: Int16Array): Buffer {
  const out = Buffer.alloc(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) out.writeInt16LE(sampleAt(pcm, i), i * 2);
  return out;
}

function sampleAt(pcm: Int16Array, i: number): number {
  return pcm[i] ?? 0;
}

// --- WAV ---

/** A canonical 44-byte-header RIFF/WAVE file around 16-bit little-endian mono PCM. */
function wav(data: Buffer): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(SAMPLE_RATE, 24);
  header.writeUInt32LE(SAMPLE_RATE * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

// --- MP3 ---

/** Frame header: MPEG-2, Layer III, no CRC, 8 kbit/s, 24 kHz, no padding, mono. */
const MP3_FRAME_HEADER = [0xff, 0xf3, 0x14, 0xc0];
/** 72 × bitrate / sample rate, the Layer III frame size for MPEG-2. */
const MP3_FRAME_BYTES = 24;
const MP3_FRAME_SAMPLES = 576;

/**
 * MPEG-2 Layer III at 24 kHz, 8 kbit/s, mono: 24-byte frames of 576 samples whose side
 * information is all zero, which decoders play as silence, behind an ID3v2.4 tag with the digest.
 */
function mp3(samples: number, digest: string): Buffer {
  const frames = Math.max(1, Math.ceil(samples / MP3_FRAME_SAMPLES));
  const body = Buffer.alloc(frames * MP3_FRAME_BYTES);
  for (let f = 0; f < frames; f++) {
    for (const [i, byte] of MP3_FRAME_HEADER.entries()) body[f * MP3_FRAME_BYTES + i] = byte;
  }
  return Buffer.concat([id3Tag(digest), body]);
}

/** An ID3v2.4 tag holding one `TXXX` (user text) frame: the sandbox key and the digest. */
function id3Tag(digest: string): Buffer {
  // Text encoding 3 (UTF-8), the description, its terminator, then the value.
  const content = Buffer.concat([
    Buffer.from([3]),
    Buffer.from(TAG_KEY, 'utf8'),
    Buffer.from([0]),
    Buffer.from(digest, 'utf8'),
  ]);
  const frame = Buffer.concat([
    Buffer.from('TXXX', 'latin1'),
    syncsafe(content.length),
    Buffer.from([0, 0]),
    content,
  ]);
  return Buffer.concat([Buffer.from([0x49, 0x44, 0x33, 4, 0, 0]), syncsafe(frame.length), frame]);
}

/** ID3v2.4 sizes: 28 bits spread over four bytes of seven bits each. */
function syncsafe(n: number): Buffer {
  return Buffer.from([(n >> 21) & 0x7f, (n >> 14) & 0x7f, (n >> 7) & 0x7f, n & 0x7f]);
}

// --- AAC (ADTS) ---

const AAC_FRAME_SAMPLES = 1024;
/**
 * One AAC-LC raw data block of silence: a single-channel element with global gain 0, a long
 * window and no scale-factor bands (so no spectral data), then the END element. 32 bits exactly.
 */
const AAC_SILENT_BLOCK = Buffer.from([0x00, 0x00, 0x00, 0x07]);
/** ADTS sampling-frequency index of 24 kHz. */
const AAC_RATE_INDEX = 6;

/** ADTS frames (MPEG-4 AAC-LC, 24 kHz, mono, no CRC) of silence behind the digest's ID3 tag. */
function aac(samples: number, digest: string): Buffer {
  const frames = Math.max(1, Math.ceil(samples / AAC_FRAME_SAMPLES));
  const length = 7 + AAC_SILENT_BLOCK.length;
  const header = Buffer.from([
    0xff,
    0xf1, // sync, MPEG-4, layer 0, no CRC
    (1 << 6) | (AAC_RATE_INDEX << 2) | 0, // profile LC, rate, private bit, channel config bit 2
    (1 << 6) | ((length >> 11) & 0x03), // channel config bits 1–0 (mono), length bits 12–11
    (length >> 3) & 0xff,
    ((length & 0x07) << 5) | 0x1f, // length bits 2–0, buffer fullness 0x7ff (variable rate)…
    0xfc, // …continued; one raw data block in the frame
  ]);
  const frame = Buffer.concat([header, AAC_SILENT_BLOCK]);
  return Buffer.concat([id3Tag(digest), ...Array.from({ length: frames }, () => frame)]);
}

// --- FLAC ---

/** Samples per FLAC frame; block-size code 12 stands for 4096. */
const FLAC_BLOCK = 4096;
const FLAC_BLOCK_CODE = 12;
/** FLAC sample-rate code of 24 kHz. */
const FLAC_RATE_CODE = 7;

/**
 * A FLAC stream: STREAMINFO, a Vorbis comment with the digest, then fixed-size frames whose one
 * subframe is VERBATIM (the samples as they are), so it decodes to exactly the `pcm` samples.
 */
function flac(pcm: Int16Array, digest: string): Buffer {
  const total = pcm.length;
  const info = Buffer.alloc(34);
  info.writeUInt16BE(FLAC_BLOCK, 0); // min block size
  info.writeUInt16BE(FLAC_BLOCK, 2); // max block size
  // Min and max frame sizes (bytes 4–9) stay 0: unknown.
  // 20 bits rate, 3 bits channels−1, 5 bits bits-per-sample−1, 36 bits total samples.
  const packed = (BigInt(SAMPLE_RATE) << 44n) | (0n << 41n) | (15n << 36n) | BigInt(total);
  info.writeBigUInt64BE(packed, 10);
  // The MD5 of the audio (bytes 18–33) stays 0, which the format reads as "not computed".
  const vendor = Buffer.from('axonflow sandbox', 'utf8');
  const comment = Buffer.from(`${TAG_KEY.toUpperCase()}=${digest}`, 'utf8');
  const comments = Buffer.alloc(4 + vendor.length + 4 + 4 + comment.length);
  let at = comments.writeUInt32LE(vendor.length, 0);
  at += vendor.copy(comments, at);
  at = comments.writeUInt32LE(1, at);
  at = comments.writeUInt32LE(comment.length, at);
  comment.copy(comments, at);

  const parts = [
    Buffer.from('fLaC', 'latin1'),
    flacBlockHeader(false, 0, info.length),
    info,
    flacBlockHeader(true, 4, comments.length),
    comments,
  ];
  for (let start = 0, frame = 0; start < total; start += FLAC_BLOCK, frame++) {
    parts.push(flacFrame(pcm, start, Math.min(FLAC_BLOCK, total - start), frame));
  }
  return Buffer.concat(parts);
}

function flacBlockHeader(last: boolean, type: number, length: number): Buffer {
  return Buffer.from([
    (last ? 0x80 : 0) | type,
    (length >> 16) & 0xff,
    (length >> 8) & 0xff,
    length & 0xff,
  ]);
}

function flacFrame(pcm: Int16Array, start: number, size: number, frame: number): Buffer {
  // A short last block uses code 7: "block size − 1 follows as 16 bits".
  const full = size === FLAC_BLOCK;
  const header = [
    0xff,
    0xf8, // sync, fixed block size
    ((full ? FLAC_BLOCK_CODE : 7) << 4) | FLAC_RATE_CODE,
    0x08, // mono, 16 bits per sample
    ...utf8Number(frame),
    ...(full ? [] : [((size - 1) >> 8) & 0xff, (size - 1) & 0xff]),
  ];
  header.push(crc8(header));
  const body = Buffer.alloc(header.length + 1 + size * 2 + 2);
  Buffer.from(header).copy(body, 0);
  let at = header.length;
  body[at++] = 0x02; // subframe: VERBATIM, no wasted bits
  for (let i = 0; i < size; i++) at = body.writeInt16BE(sampleAt(pcm, start + i), at);
  body.writeUInt16BE(crc16(body.subarray(0, at)), at);
  return body;
}

/** FLAC frame numbers are coded like UTF-8 code points. */
function utf8Number(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x800) return [0xc0 | (n >> 6), 0x80 | (n & 0x3f)];
  return [0xe0 | (n >> 12), 0x80 | ((n >> 6) & 0x3f), 0x80 | (n & 0x3f)];
}

/** CRC-8, polynomial x⁸+x²+x+1, initial 0: FLAC's frame-header check. */
function crc8(bytes: readonly number[]): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

/** CRC-16, polynomial x¹⁶+x¹⁵+x²+1, initial 0: FLAC's whole-frame check. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

// --- Opus (in Ogg) ---

/** The 20 ms CELT packet libopus makes of digital silence: TOC 0xf8 (fullband, mono, 1 frame). */
const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]);
/** Opus counts granules at 48 kHz whatever the input rate; 20 ms is 960 of them. */
const OPUS_PACKET_GRANULES = 960;
const OPUS_PACKETS_PER_PAGE = 50;
const OGG_SERIAL = 0x5a4e_5842;

/**
 * An Ogg Opus file (RFC 7845): the `OpusHead` page, an `OpusTags` page with the digest, then
 * pages of 20 ms silence packets, the last marked end-of-stream.
 */
function opus(samples: number, digest: string): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1; // version
  head[9] = 1; // channels
  head.writeUInt16LE(0, 10); // pre-skip: silence needs no encoder delay trimmed
  head.writeUInt32LE(SAMPLE_RATE, 12); // the input's rate, for information
  head.writeInt16LE(0, 16); // output gain
  head[18] = 0; // channel mapping family: mono/stereo
  const vendor = Buffer.from('axonflow sandbox', 'utf8');
  const comment = Buffer.from(`${TAG_KEY.toUpperCase()}=${digest}`, 'utf8');
  const tags = Buffer.alloc(8 + 4 + vendor.length + 4 + 4 + comment.length);
  let at = tags.write('OpusTags', 0, 'latin1');
  at = tags.writeUInt32LE(vendor.length, at);
  at += vendor.copy(tags, at);
  at = tags.writeUInt32LE(1, at);
  at = tags.writeUInt32LE(comment.length, at);
  comment.copy(tags, at);

  const packets = Math.max(1, Math.ceil((samples * 48_000) / SAMPLE_RATE / OPUS_PACKET_GRANULES));
  const pages = [oggPage(0x02, 0n, 0, [head]), oggPage(0x00, 0n, 1, [tags])];
  for (let sent = 0, sequence = 2; sent < packets; sequence++) {
    const count = Math.min(OPUS_PACKETS_PER_PAGE, packets - sent);
    sent += count;
    const flags = sent === packets ? 0x04 : 0x00;
    const granule = BigInt(sent * OPUS_PACKET_GRANULES);
    pages.push(
      oggPage(
        flags,
        granule,
        sequence,
        Array.from({ length: count }, () => OPUS_SILENCE),
      ),
    );
  }
  return Buffer.concat(pages);
}

/** One Ogg page holding whole packets, each under 255 bytes (one lacing value each). */
function oggPage(flags: number, granule: bigint, sequence: number, packets: Buffer[]): Buffer {
  const lacing: number[] = [];
  for (const packet of packets) {
    let left = packet.length;
    while (left >= 255) {
      lacing.push(255);
      left -= 255;
    }
    lacing.push(left);
  }
  const header = Buffer.alloc(27 + lacing.length);
  header.write('OggS', 0, 'latin1');
  header[4] = 0; // version
  header[5] = flags;
  header.writeBigUInt64LE(granule, 6);
  header.writeUInt32LE(OGG_SERIAL, 14);
  header.writeUInt32LE(sequence, 18);
  // The checksum (22–25) is computed with its own field zero.
  header[26] = lacing.length;
  for (const [i, value] of lacing.entries()) header[27 + i] = value;
  const page = Buffer.concat([header, ...packets]);
  page.writeUInt32LE(oggCrc(page), 22);
  return page;
}

/** Ogg's CRC-32: polynomial 0x04c11db7, not reflected, initial 0 (unlike zlib's). */
function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 24;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    }
  }
  return crc >>> 0;
}
