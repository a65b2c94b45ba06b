;; adamviz engine, the many-parameters view's Adam rows two parameters at a time: population.js's
;; adamRow and keepOne, the same operations in the same order on WebAssembly's 128-bit vectors, so
;; the same numbers bit for bit (every operation here is IEEE 754's correctly rounded one, and
;; WebAssembly never fuses a multiply into an add).
;;
;; A parameter's step costs five divisions and two square roots (m̂, √v̂, the scale, |step|/η, γ̂);
;; JavaScript issues them one number at a time, and the divider was the view's bottleneck.
;; tests/build_bundle.py assembles this file (wabt's wat2wasm) into adam_rows_wasm.js, checked in;
;; tests/test_browser_modules.py fails while it is stale.
;;
;; The memory (imported: adam_rows.js sizes one per run) holds, for a row of W = 2 × pairs parameters
;; (the last one padding where the width is odd: its gradient stays 0, so its r is 0 and its |step|/η
;; and γ̂ fall outside every extent), at byte
;;   0    g, this step's gradients (f64 × W)     8W   m (f64 × W)         16W  v (f64 × W)
;;   24W  r = |scale| (f64 × W)                  32W  |step|/η (f32 × W)  36W  γ̂ (f32 × W)
;;   40W  the extents so far, two lanes each: |step|/η's smallest positive and largest, then γ̂'s.
(module
  (import "kernel" "memory" (memory 1))

  (func (export "row")
    (param $pairs i32) (param $beta1 f64) (param $oneMinusBeta1 f64) (param $beta2 f64)
    (param $oneMinusBeta2 f64) (param $eps f64) (param $lr f64) (param $rate f64)
    (param $correction1 f64) (param $root2 f64) (param $keep i32)
    (local $at i32) (local $end i32) (local $w8 i32) (local $half i32) (local $extents i32)
    (local $g v128) (local $m v128) (local $v v128) (local $mHat v128) (local $sqrtVHat v128)
    (local $scale v128) (local $vHat v128) (local $perLr v128) (local $spread v128)
    (local $lrLow v128) (local $lrHigh v128) (local $spreadLow v128) (local $spreadHigh v128)
    (local.set $w8 (i32.shl (local.get $pairs) (i32.const 4))) ;; 8W bytes
    (local.set $extents (i32.mul (local.get $w8) (i32.const 5)))
    (local.set $lrLow (v128.load (local.get $extents)))
    (local.set $lrHigh (v128.load offset=16 (local.get $extents)))
    (local.set $spreadLow (v128.load offset=32 (local.get $extents)))
    (local.set $spreadHigh (v128.load offset=48 (local.get $extents)))
    (local.set $end (local.get $w8))
    (block $done
      (loop $pair
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $g (v128.load (local.get $at)))
        ;; m = β₁·m + (1 − β₁)·g;  v = β₂·v + (1 − β₂)·g²
        (local.set $m
          (f64x2.add
            (f64x2.mul (f64x2.splat (local.get $beta1)) (v128.load (i32.add (local.get $at) (local.get $w8))))
            (f64x2.mul (f64x2.splat (local.get $oneMinusBeta1)) (local.get $g))))
        (v128.store (i32.add (local.get $at) (local.get $w8)) (local.get $m))
        (local.set $v
          (f64x2.add
            (f64x2.mul
              (f64x2.splat (local.get $beta2))
              (v128.load (i32.add (local.get $at) (i32.shl (local.get $w8) (i32.const 1)))))
            (f64x2.mul (f64x2.splat (local.get $oneMinusBeta2)) (f64x2.mul (local.get $g) (local.get $g)))))
        (v128.store (i32.add (local.get $at) (i32.shl (local.get $w8) (i32.const 1))) (local.get $v))
        ;; m̂ = m / c₁;  √v̂ = √v / √c₂;  scale = m̂ / (√v̂ + ε);  r = |scale|
        (local.set $mHat (f64x2.div (local.get $m) (f64x2.splat (local.get $correction1))))
        (local.set $sqrtVHat (f64x2.div (f64x2.sqrt (local.get $v)) (f64x2.splat (local.get $root2))))
        (local.set $scale
          (f64x2.div (local.get $mHat) (f64x2.add (local.get $sqrtVHat) (f64x2.splat (local.get $eps)))))
        (v128.store (i32.add (local.get $at) (i32.mul (local.get $w8) (i32.const 3))) (f64x2.abs (local.get $scale)))
        (if (local.get $keep)
          (then
            ;; |step|/η = |rate · scale| / η;  γ̂ = √max(v̂ − m̂², 0) / |m̂|, NaN where m̂ = 0 or v̂ ≤ 0
            (local.set $vHat (f64x2.mul (local.get $sqrtVHat) (local.get $sqrtVHat)))
            (local.set $perLr
              (f64x2.div
                (f64x2.abs (f64x2.mul (f64x2.splat (local.get $rate)) (local.get $scale)))
                (f64x2.splat (local.get $lr))))
            (local.set $spread
              (v128.bitselect
                (f64x2.div
                  (f64x2.sqrt
                    (f64x2.max
                      (f64x2.sub (local.get $vHat) (f64x2.mul (local.get $mHat) (local.get $mHat)))
                      (f64x2.splat (f64.const 0))))
                  (f64x2.abs (local.get $mHat)))
                (f64x2.splat (f64.const nan))
                (v128.and
                  (f64x2.ne (local.get $mHat) (f64x2.splat (f64.const 0)))
                  (f64x2.gt (local.get $vHat) (f64x2.splat (f64.const 0))))))
            ;; as float32, two lanes a pair: 8 bytes at 32W + at/2 and 36W + at/2
            (local.set $half (i32.shr_u (local.get $at) (i32.const 1)))
            (v128.store64_lane 0
              (i32.add (local.get $half) (i32.shl (local.get $w8) (i32.const 2)))
              (f32x4.demote_f64x2_zero (local.get $perLr)))
            (v128.store64_lane 0
              (i32.add (local.get $half) (i32.add (i32.shl (local.get $w8) (i32.const 2)) (i32.shr_u (local.get $w8) (i32.const 1))))
              (f32x4.demote_f64x2_zero (local.get $spread)))
            ;; the extents, lane by lane as keepOne keeps them: the smallest value > 0, the largest
            ;; (a comparison with NaN is false: NaN never enters)
            (local.set $lrLow
              (v128.bitselect (local.get $perLr) (local.get $lrLow)
                (v128.and
                  (f64x2.gt (local.get $perLr) (f64x2.splat (f64.const 0)))
                  (f64x2.lt (local.get $perLr) (local.get $lrLow)))))
            (local.set $lrHigh
              (v128.bitselect (local.get $perLr) (local.get $lrHigh) (f64x2.gt (local.get $perLr) (local.get $lrHigh))))
            (local.set $spreadLow
              (v128.bitselect (local.get $spread) (local.get $spreadLow)
                (v128.and
                  (f64x2.gt (local.get $spread) (f64x2.splat (f64.const 0)))
                  (f64x2.lt (local.get $spread) (local.get $spreadLow)))))
            (local.set $spreadHigh
              (v128.bitselect (local.get $spread) (local.get $spreadHigh)
                (f64x2.gt (local.get $spread) (local.get $spreadHigh))))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $pair)))
    (v128.store (local.get $extents) (local.get $lrLow))
    (v128.store offset=16 (local.get $extents) (local.get $lrHigh))
    (v128.store offset=32 (local.get $extents) (local.get $spreadLow))
    (v128.store offset=48 (local.get $extents) (local.get $spreadHigh))))
