;; Limited-range (BT.601/709 "studio swing") Y'CbCr to the full range JPEG (JFIF) expects, in place,
;; 16 bytes at a time with WebAssembly SIMD. Generated into range-wasm.ts by scripts/gen-wasm.ts.
;;
;; out = sat_u8(round(2 * (in - offset) * k / 32768) + bias), using i16x8.q15mulr_sat_s, which
;; computes round(a * b / 32768); doubling `a` first keeps every output value reachable:
;;   luma:   offset 16,  k = 255/219/2 * 32768, bias 0    (16..235 -> 0..255)
;;   chroma: offset 128, k = 255/224/2 * 32768, bias 128  (16..240 -> 0..255 around 128)
;; Bytes past the last multiple of 16 are left to the caller.
(module
  (memory (export "memory") 1)
  (func (export "expand") (param $ptr i32) (param $len i32) (param $offset i32) (param $k i32) (param $bias i32)
    (local $end i32) (local $v v128) (local $lo v128) (local $hi v128)
    (local $offv v128) (local $kv v128) (local $biasv v128)
    (local.set $offv (i16x8.splat (local.get $offset)))
    (local.set $kv (i16x8.splat (local.get $k)))
    (local.set $biasv (i16x8.splat (local.get $bias)))
    (local.set $end (i32.add (local.get $ptr) (i32.and (local.get $len) (i32.const -16))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $v (v128.load (local.get $ptr)))
        (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
        (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
        (local.set $lo (i16x8.shl (i16x8.sub (local.get $lo) (local.get $offv)) (i32.const 1)))
        (local.set $hi (i16x8.shl (i16x8.sub (local.get $hi) (local.get $offv)) (i32.const 1)))
        (local.set $lo (i16x8.add (i16x8.q15mulr_sat_s (local.get $lo) (local.get $kv)) (local.get $biasv)))
        (local.set $hi (i16x8.add (i16x8.q15mulr_sat_s (local.get $hi) (local.get $kv)) (local.get $biasv)))
        (v128.store (local.get $ptr) (i8x16.narrow_i16x8_u (local.get $lo) (local.get $hi)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
        (br $next)))))
