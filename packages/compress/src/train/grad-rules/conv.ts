import { attr, attrInt, attrInts, attrString } from '../../ir/attributes.js';
import { dy0, type GradContext, type GradRule } from './types.js';

export interface Window2d {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
  /** Input and output spatial sizes, from the probe. */
  inSize: [number, number];
  outSize: [number, number];
}

/** Resolves a 2-D window's attributes (auto_pad included) against probed shapes. */
export function window2d(ctx: GradContext, kernel: readonly number[]): Window2d {
  const node = ctx.node;
  const x = ctx.shape(node.input![0]!);
  const y = ctx.shape(node.output![0]!);
  if (x.length !== 4) ctx.unsupported(`${node.opType} on a rank-${x.length} input (only 2-D spatial is differentiated)`);
  const strides = (attrInts(node, 'strides') ?? [1, 1]) as [number, number];
  const dilations = (attrInts(node, 'dilations') ?? [1, 1]) as [number, number];
  const inSize: [number, number] = [x[2]!, x[3]!];
  const outSize: [number, number] = [y[2]!, y[3]!];
  const autoPad = attrString(node, 'auto_pad') ?? 'NOTSET';
  let pads = (attrInts(node, 'pads') ?? [0, 0, 0, 0]) as [number, number, number, number];
  if (autoPad === 'VALID') pads = [0, 0, 0, 0];
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const total = [0, 1].map((i) => Math.max(0, (outSize[i]! - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - inSize[i]!));
    const small = total.map((t) => Math.floor(t / 2));
    const big = total.map((t, i) => t - small[i]!);
    pads = autoPad === 'SAME_UPPER' ? [small[0]!, small[1]!, big[0]!, big[1]!] : [big[0]!, big[1]!, small[0]!, small[1]!];
  } else if (autoPad !== 'NOTSET') ctx.unsupported(`auto_pad ${autoPad}`);
  return { kernel: [kernel[0]!, kernel[1]!], strides, dilations, pads, inSize, outSize };
}

/** ConvTranspose attributes that map a window's output grid back onto its input exactly. */
export function transposeAttributes(w: Window2d, group: number): ReturnType<typeof attr.ints>[] {
  const outputPadding = [0, 1].map(
    (i) => w.inSize[i]! + w.pads[i]! + w.pads[i + 2]! - ((w.outSize[i]! - 1) * w.strides[i]! + (w.kernel[i]! - 1) * w.dilations[i]! + 1),
  );
  return [
    attr.ints('strides', w.strides),
    attr.ints('dilations', w.dilations),
    attr.ints('pads', w.pads),
    attr.ints('output_padding', outputPadding),
    attr.int('group', group),
  ];
}

/**
 * 2-D Conv, any stride / padding / dilation / group (depthwise included).
 * dX = ConvTranspose(dY, W) with the forward attributes.
 * dW: for group g, X [N, g·Cg, H, W] is rearranged to [Cg, g·N, H, W] and dY to [M, N, Ho, Wo]; a grouped
 * Conv of the two with stride ← forward dilation and dilation ← forward stride gives [Cg, M, kh', kw'],
 * cropped to the kernel and transposed to [M, Cg, kh, kw].
 * dB = Σ_{N,H,W} dY.
 */
export const conv: GradRule = (ctx) => {
  const b = ctx.b;
  const [x, w, bias] = ctx.node.input as [string, string, string | undefined];
  const wShape = ctx.shape(w);
  const group = attrInt(ctx.node, 'group', 1);
  const win = window2d(ctx, wShape.slice(2));
  const g = dy0(ctx);
  const out: (string | undefined)[] = [undefined, undefined, undefined];
  if (ctx.wants(0)) out[0] = b.op('ConvTranspose', [g, w], transposeAttributes(win, group));
  if (ctx.wants(1)) {
    const cg = wShape[1]!;
    const [h, wd] = win.inSize;
    const xg = b.op('Reshape', [b.transpose(b.op('Reshape', [x, b.int64([0, group, cg, h, wd])]), [2, 1, 0, 3, 4]), b.int64([cg, -1, h, wd])]);
    const gt = b.transpose(g, [1, 0, 2, 3]);
    const full = b.op('Conv', [xg, gt], [
      attr.ints('strides', win.dilations),
      attr.ints('dilations', win.strides),
      attr.ints('pads', win.pads),
      attr.int('group', group),
    ]);
    const cropped = b.op('Slice', [full, b.int64([0, 0]), b.int64(win.kernel), b.int64([2, 3])]);
    out[1] = b.transpose(cropped, [1, 0, 2, 3]);
  }
  if (bias && ctx.wants(2)) out[2] = b.reduceSum(g, [0, 2, 3], false);
  return out;
};
