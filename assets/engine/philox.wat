;; adamviz engine, random numbers at machine speed: Philox4x64-10 blocks as uniforms in [0, 1), the
;; same numbers as random.js's reader (and numpy.random.Philox's), bit for bit.
;;
;; JavaScript has no 64-bit integer multiply short of BigInt, so random.js emulates one on 32-bit
;; halves held in doubles (about 250 ns a uniform in Node on this project's 2-core machines);
;; WebAssembly has i64 and makes one in about 17 ns. tests/build_bundle.py assembles this file (wabt's wat2wasm, a development
;; dependency) into philox_wasm.js, checked in; tests/test_browser_modules.py fails while it is stale.
;;
;; fill(keyHigh, keyLow, counterHigh, counterLow, blocks) writes the uniforms of blocks counter + 1,
;; counter + 2, ... (4 × blocks doubles) at byte 0 of the exported memory; the 128-bit key is
;; (0, keyHigh·2^32 + keyLow) and each block's 256-bit counter is (0, 0, 0, counter + k). At most
;; 2,048 blocks a call (one 64 KiB page).
(module
  (memory (export "memory") 1)

  ;; a 64-bit word as a uniform: (x >> 11) · 2^-53, exact (x >> 11 < 2^53: signed conversion is exact
  ;; and, unlike the unsigned one, one x86 instruction)
  (func $uniform (param $x i64) (result f64)
    (f64.mul (f64.convert_i64_s (i64.shr_u (local.get $x) (i64.const 11))) (f64.const 0x1p-53)))

  (func (export "fill")
    (param $keyHigh i32) (param $keyLow i32) (param $counterHigh i32) (param $counterLow i32) (param $blocks i32)
    (local $key i64) (local $counter i64) (local $at i32) (local $end i32) (local $round i32)
    (local $c0 i64) (local $c1 i64) (local $c2 i64) (local $c3 i64) (local $k0 i64) (local $k1 i64)
    (local $low0 i64) (local $high0 i64) (local $low1 i64) (local $high1 i64)
    (local $b0 i64) (local $b1 i64) (local $p01 i64) (local $p10 i64)
    (local.set $key
      (i64.or
        (i64.shl (i64.extend_i32_u (local.get $keyHigh)) (i64.const 32))
        (i64.extend_i32_u (local.get $keyLow))))
    (local.set $counter
      (i64.or
        (i64.shl (i64.extend_i32_u (local.get $counterHigh)) (i64.const 32))
        (i64.extend_i32_u (local.get $counterLow))))
    (local.set $end (i32.shl (local.get $blocks) (i32.const 5)))
    (block $done
      (loop $block
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $counter (i64.add (local.get $counter) (i64.const 1)))
        (local.set $c0 (local.get $counter))
        (local.set $c1 (i64.const 0))
        (local.set $c2 (i64.const 0))
        (local.set $c3 (i64.const 0))
        (local.set $k0 (local.get $key))
        (local.set $k1 (i64.const 0))
        (local.set $round (i32.const 0))
        (loop $rounds
          (if (local.get $round)
            (then
              (local.set $k0 (i64.add (local.get $k0) (i64.const 0x9e3779b97f4a7c15)))
              (local.set $k1 (i64.add (local.get $k1) (i64.const 0xbb67ae8584caa73b)))))
          ;; the high words of M0 · c0 and M1 · c2, schoolbook on 32-bit halves (written out twice:
          ;; V8 does not inline a function here, and the call doubled the time); the middle word's
          ;; carry sums three numbers below 2^32, so nothing overflows
          (local.set $b0 (i64.and (local.get $c0) (i64.const 0xffffffff)))
          (local.set $b1 (i64.shr_u (local.get $c0) (i64.const 32)))
          (local.set $p01 (i64.mul (i64.const 0xe14c6c93) (local.get $b1)))
          (local.set $p10 (i64.mul (i64.const 0xd2e7470e) (local.get $b0)))
          (local.set $high0
            (i64.add
              (i64.add
                (i64.add (i64.mul (i64.const 0xd2e7470e) (local.get $b1)) (i64.shr_u (local.get $p01) (i64.const 32)))
                (i64.shr_u (local.get $p10) (i64.const 32)))
              (i64.shr_u
                (i64.add
                  (i64.add
                    (i64.shr_u (i64.mul (i64.const 0xe14c6c93) (local.get $b0)) (i64.const 32))
                    (i64.and (local.get $p01) (i64.const 0xffffffff)))
                  (i64.and (local.get $p10) (i64.const 0xffffffff)))
                (i64.const 32))))
          (local.set $b0 (i64.and (local.get $c2) (i64.const 0xffffffff)))
          (local.set $b1 (i64.shr_u (local.get $c2) (i64.const 32)))
          (local.set $p01 (i64.mul (i64.const 0x95121157) (local.get $b1)))
          (local.set $p10 (i64.mul (i64.const 0xca5a8263) (local.get $b0)))
          (local.set $high1
            (i64.add
              (i64.add
                (i64.add (i64.mul (i64.const 0xca5a8263) (local.get $b1)) (i64.shr_u (local.get $p01) (i64.const 32)))
                (i64.shr_u (local.get $p10) (i64.const 32)))
              (i64.shr_u
                (i64.add
                  (i64.add
                    (i64.shr_u (i64.mul (i64.const 0x95121157) (local.get $b0)) (i64.const 32))
                    (i64.and (local.get $p01) (i64.const 0xffffffff)))
                  (i64.and (local.get $p10) (i64.const 0xffffffff)))
                (i64.const 32))))
          (local.set $low0 (i64.mul (i64.const 0xd2e7470ee14c6c93) (local.get $c0)))
          (local.set $low1 (i64.mul (i64.const 0xca5a826395121157) (local.get $c2)))
          (local.set $c0 (i64.xor (i64.xor (local.get $high1) (local.get $c1)) (local.get $k0)))
          (local.set $c1 (local.get $low1))
          (local.set $c2 (i64.xor (i64.xor (local.get $high0) (local.get $c3)) (local.get $k1)))
          (local.set $c3 (local.get $low0))
          (local.set $round (i32.add (local.get $round) (i32.const 1)))
          (br_if $rounds (i32.lt_u (local.get $round) (i32.const 10))))
        (f64.store offset=0 (local.get $at) (call $uniform (local.get $c0)))
        (f64.store offset=8 (local.get $at) (call $uniform (local.get $c1)))
        (f64.store offset=16 (local.get $at) (call $uniform (local.get $c2)))
        (f64.store offset=24 (local.get $at) (call $uniform (local.get $c3)))
        (local.set $at (i32.add (local.get $at) (i32.const 32)))
        (br $block))))
)
