(** * Touching inequalities: a relation whose sides meet at an end of a real interval.

    [interval] cannot prove [1 + a <= exp a] on [0, 1/10]: every enclosure of the
    difference near 0 contains negative numbers. The argument a mathematician writes is
    monotonicity from the touching point: the difference is non-negative at the end (an
    exact rational check, [checkQ]) and its derivative has the right sign on the interval
    (Coquelicot's [auto_derive] computes it, [interval] bounds it, or — when the derivative
    touches too — the same argument again, a few times). This file proves the lemmas once
    ([nonneg_from], [nonneg_to], [touch_lo], [touch_hi]) and gives the tactics the
    certificates call. It is a separate library so that scripts without such theorems do
    not load Coquelicot. *)
From Coq Require Import ZArith QArith Reals Lra List.
From Coquelicot Require Import Coquelicot.
From Interval Require Import Tactic.
From Stabcert Require Import Stabcert.
Import ListNotations.
Open Scope R_scope.

(** A function that is non-negative at [lo] and has a non-negative derivative on [lo, hi]
    is non-negative on [lo, hi]. *)
Lemma nonneg_from : forall (f df : R -> R) (lo hi : R),
  (forall t, lo <= t <= hi -> is_derive f t (df t)) ->
  (forall t, lo <= t <= hi -> 0 <= df t) ->
  0 <= f lo -> forall x, lo <= x <= hi -> 0 <= f x.
Proof.
  intros f df lo hi D P F0 x Hx.
  destruct (Req_dec x lo) as [->|ne]; [exact F0|].
  destruct (MVT_gen f lo x df) as [c [Hc E]].
  - intros t Ht. apply D. unfold Rmin, Rmax in Ht. destruct (Rle_dec lo x); lra.
  - intros t Ht. apply derivable_continuous_pt. exists (df t). apply is_derive_Reals, D.
    unfold Rmin, Rmax in Ht. destruct (Rle_dec lo x); lra.
  - unfold Rmin, Rmax in Hc. destruct (Rle_dec lo x) as [|n]; [|lra].
    assert (0 <= df c) by (apply P; lra).
    assert (0 <= df c * (x - lo)) by (apply Rmult_le_pos; lra).
    lra.
Qed.

(** The mirror image: non-negative at [hi] with a non-positive derivative on [lo, hi]. *)
Lemma nonneg_to : forall (f df : R -> R) (lo hi : R),
  (forall t, lo <= t <= hi -> is_derive f t (df t)) ->
  (forall t, lo <= t <= hi -> 0 <= - df t) ->
  0 <= f hi -> forall x, lo <= x <= hi -> 0 <= f x.
Proof.
  intros f df lo hi D P F0 x Hx.
  destruct (Req_dec x hi) as [->|ne]; [exact F0|].
  destruct (MVT_gen f x hi df) as [c [Hc E]].
  - intros t Ht. apply D. unfold Rmin, Rmax in Ht. destruct (Rle_dec x hi); lra.
  - intros t Ht. apply derivable_continuous_pt. exists (df t). apply is_derive_Reals, D.
    unfold Rmin, Rmax in Ht. destruct (Rle_dec x hi); lra.
  - unfold Rmin, Rmax in Hc. destruct (Rle_dec x hi) as [|n]; [|lra].
    assert (0 <= - df c) by (apply P; lra).
    assert (0 <= - df c * (hi - x)) by (apply Rmult_le_pos; lra).
    lra.
Qed.

(** The difference a non-strict relation makes non-negative. *)
Definition gap (r : Rel) (x y : R) : R :=
  match r with Le | Lt => y - x | _ => x - y end.

Lemma gap_holds : forall r x y, (r = Le \/ r = Ge) -> 0 <= gap r x y -> holdsR r x y.
Proof. intros r x y [-> | ->]; cbn; lra. Qed.

(** A relation [lhs r rhs] ([r] is [<=] or [>=]) over the first parameter on [lo, hi], the
    others fixed to [rest]: it holds at [lo] (computed over [Q]) and the derivative [df] of
    the gap has the right sign. *)
Lemma touch_lo : forall (r : Rel) (lhs rhs : E) (rest : list Q) (lo hi : Q) (df : R -> R),
  (r = Le \/ r = Ge) ->
  (forall t, Q2R lo <= t <= Q2R hi -> is_derive
     (fun a => gap r (evalR (a :: map Q2R rest) lhs) (evalR (a :: map Q2R rest) rhs)) t (df t)) ->
  (forall t, Q2R lo <= t <= Q2R hi -> 0 <= df t) ->
  checkQ r lhs rhs (lo :: rest) = true ->
  forall x, Q2R lo <= x <= Q2R hi -> Claim r lhs rhs (x :: map Q2R rest).
Proof.
  intros r lhs rhs rest lo hi df Hr D P C x Hx.
  apply checkQ_sound in C. unfold Claim in *. cbn [map] in C.
  apply gap_holds; [exact Hr|].
  apply (nonneg_from (fun a => gap r (evalR (a :: map Q2R rest) lhs)
    (evalR (a :: map Q2R rest) rhs)) df (Q2R lo) (Q2R hi) D P); [|exact Hx].
  cbv beta. destruct Hr as [-> | ->]; cbn in *; lra.
Qed.

(** The same from [hi], where the gap's derivative is non-positive. *)
Lemma touch_hi : forall (r : Rel) (lhs rhs : E) (rest : list Q) (lo hi : Q) (df : R -> R),
  (r = Le \/ r = Ge) ->
  (forall t, Q2R lo <= t <= Q2R hi -> is_derive
     (fun a => gap r (evalR (a :: map Q2R rest) lhs) (evalR (a :: map Q2R rest) rhs)) t (df t)) ->
  (forall t, Q2R lo <= t <= Q2R hi -> 0 <= - df t) ->
  checkQ r lhs rhs (hi :: rest) = true ->
  forall x, Q2R lo <= x <= Q2R hi -> Claim r lhs rhs (x :: map Q2R rest).
Proof.
  intros r lhs rhs rest lo hi df Hr D P C x Hx.
  apply checkQ_sound in C. unfold Claim in *. cbn [map] in C.
  apply gap_holds; [exact Hr|].
  apply (nonneg_to (fun a => gap r (evalR (a :: map Q2R rest) lhs)
    (evalR (a :: map Q2R rest) rhs)) df (Q2R lo) (Q2R hi) D P); [|exact Hx].
  cbv beta. destruct Hr as [-> | ->]; cbn in *; lra.
Qed.

(** A goal [0 <= e] at a point: the usual simplifications of exact values (exp 0, ln 1,
    products with 0), then [lra] or [interval]. *)
Ltac at_point :=
  cbv beta; unfold Q2R; cbn [Qnum Qden];
  repeat (rewrite ?Rmult_0_l, ?Rmult_0_r, ?Rplus_0_l, ?Rplus_0_r, ?Rminus_0_r, ?Ropp_0,
            ?exp_0, ?ln_1, ?Rmult_1_l, ?Rmult_1_r, ?Rinv_1);
  first [lra | interval].

(** The derivative of the explicit function in the goal [is_derive f t ?df]: Coquelicot
    computes it; its side conditions (positive arguments of [ln] and [sqrt], non-zero
    divisors) are proved by [interval] on the interval's hypothesis. *)
Ltac touch_derive :=
  auto_derive; [repeat split; interval | reflexivity].

(** [forall t, lo <= t <= hi -> 0 <= g t] (with [-] when [sign] is [neg]): by [interval],
    or, where [g] touches 0 at [lo] or [hi], by [nonneg_from] / [nonneg_to] on [g] again,
    up to [n] times. *)
Ltac touch_sign n :=
  first [ intros t Ht; cbv beta; interval with (i_bisect t, i_taylor t, i_depth 20)
        | match n with
          | S ?m =>
              match goal with |- forall t, _ <= t <= _ -> 0 <= @?g t =>
                first [ eapply (nonneg_from g);
                        [ intros t Ht; cbv beta; touch_derive | touch_sign m | at_point ]
                      | eapply (nonneg_to g);
                        [ intros t Ht; cbv beta; touch_derive
                        | touch_sign m
                        | at_point ] ]
              end
          end ].

(** The whole touching proof of [Claim r lhs rhs (x :: map Q2R rest)] for [x] in
    [lo, hi] (both [Q]), from either end; [lhs] and [rhs] written out in the goal. *)
Ltac touching rest lo hi :=
  first [ eapply (touch_lo _ _ _ rest lo hi);
          [ first [left; reflexivity | right; reflexivity]
          | intros t Ht; cbv beta; cbn [gap evalR nth map Q2R Qnum Qden]; touch_derive
          | touch_sign 3%nat
          | vm_compute; reflexivity
          | cbn [map Q2R Qnum Qden] in *; lra ]
        | eapply (touch_hi _ _ _ rest lo hi);
          [ first [left; reflexivity | right; reflexivity]
          | intros t Ht; cbv beta; cbn [gap evalR nth map Q2R Qnum Qden]; touch_derive
          | touch_sign 3%nat
          | vm_compute; reflexivity
          | cbn [map Q2R Qnum Qden] in *; lra ] ].
