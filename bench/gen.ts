import { createWriteStream } from "fs";
import { PlaybackGenerator } from "../publisher/generators/playback";
const n = Number(process.argv[2]);
const out = createWriteStream(process.argv[3]);
const g = new PlaybackGenerator({ seed: 1 });
let buf: string[] = [];
for (const l of g.lines(n)) { buf.push(l); if (buf.length === 10000) { out.write(buf.join("\n") + "\n"); buf = []; } }
out.write(buf.join("\n") + (buf.length ? "\n" : ""));
out.end();
