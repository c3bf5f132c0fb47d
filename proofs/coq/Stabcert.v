(** * Stabcert: the library every generated certificate imports.

    It holds the expression language of stabcert as a Coq term ([E]), its meaning over the
    reals ([evalR], the statement every certificate proves), a computable evaluator over
    [Q] ([evalQ], what [vm_compute] runs), and the lemmas that link the two once and for
    all: [evalQ_sound] (a rational value computed by [evalQ] is the real value),
    [foldE_sound] (replacing rational subterms by their values keeps the real value), and the
    reflective checkers for points, point lists and integer grids; [evalB], the same
    evaluator over machine-word big rationals ([evalB_sound]), runs the whole-grid checks;
    [evalI] encloses rational powers between rationals; [evalJ] evaluates by interval
    arithmetic (Coq Interval's floating-point intervals) where values are irrational or a
    real parameter ranges over an interval ([evalJ_sound], [check_real_sound]: a relation on
    a real parameter's whole interval at every point of an integer grid).

    Conventions (the same as the stabcert engines): [Sum lo hi b] sums [b] over the integers
    from [lo] to [hi] (the index is [Var 0] in [b]); [Rec s e i st] is x at [e] where x at [s]
    is [i] and x at t+1 is [st] (with t as [Var 0] and x as [Var 1]; [evalQ] refuses [e < s],
    which the engines report as undefined); [Let v b] binds [v] as
    [Var 0] in [b]; [PowZ x z] is x to an integer literal power; [Pow x y] is [Rpower x y]
    for x > 0 (and the integer power, 0 or 1 elsewhere; stabcert never certifies a point
    where a negative base has a non-integer exponent, which it reports as undefined). The
    rational evaluators compute [Exp], [Ln] and [Sqrt] where the value is rational at a
    rational argument (exp 0 = 1, ln 1 = 0, the square root of a square) and give up
    elsewhere, which is left to [interval]; [Floor] and [Ceil] of a rational are exact. *)
From Coq Require Import ZArith QArith Qround Qreals Reals Lra Lia List.
Import ListNotations.

Inductive E : Type :=
| Cst : Q -> E
| Var : nat -> E
| Neg : E -> E
| Add : E -> E -> E
| Sub : E -> E -> E
| Mul : E -> E -> E
| Div : E -> E -> E
| PowZ : E -> Z -> E
| Pow : E -> E -> E
| Exp : E -> E
| Ln : E -> E
| Sqrt : E -> E
| Abs : E -> E
| Min : E -> E -> E
| Max : E -> E -> E
| Floor : E -> E
| Ceil : E -> E
| Sum : E -> E -> E -> E
| Prod : E -> E -> E -> E
| Rec : E -> E -> E -> E -> E
| Let : E -> E -> E.

Open Scope R_scope.

(** ** Meaning over the reals *)

Definition powR (x y : R) : R :=
  if Rlt_dec 0 x then Rpower x y
  else if Req_EM_T x 0 then (if Rlt_dec 0 y then 0 else 1)
  else powerRZ x (Int_part y).

Fixpoint sumR (f : Z -> R) (lo : Z) (n : nat) : R :=
  match n with O => 0 | S k => f lo + sumR f (lo + 1)%Z k end.

Fixpoint prodR (f : Z -> R) (lo : Z) (n : nat) : R :=
  match n with O => 1 | S k => f lo * prodR f (lo + 1)%Z k end.

Fixpoint recR (f : Z -> R -> R) (t : Z) (x : R) (n : nat) : R :=
  match n with O => x | S k => recR f (t + 1)%Z (f t x) k end.

Definition count (lo hi : Z) : nat := Z.to_nat (hi - lo + 1).

Fixpoint evalR (env : list R) (e : E) : R :=
  match e with
  | Cst q => Q2R q
  | Var i => nth i env 0
  | Neg a => - evalR env a
  | Add a b => evalR env a + evalR env b
  | Sub a b => evalR env a - evalR env b
  | Mul a b => evalR env a * evalR env b
  | Div a b => evalR env a / evalR env b
  | PowZ a z => powerRZ (evalR env a) z
  | Pow a b => powR (evalR env a) (evalR env b)
  | Exp a => exp (evalR env a)
  | Ln a => ln (evalR env a)
  | Sqrt a => sqrt (evalR env a)
  | Abs a => Rabs (evalR env a)
  | Min a b => Rmin (evalR env a) (evalR env b)
  | Max a b => Rmax (evalR env a) (evalR env b)
  | Floor a => IZR (Int_part (evalR env a))
  | Ceil a => - IZR (Int_part (- evalR env a))
  | Sum lo hi b =>
      let l := Int_part (evalR env lo) in
      sumR (fun z => evalR (IZR z :: env) b) l (count l (Int_part (evalR env hi)))
  | Prod lo hi b =>
      let l := Int_part (evalR env lo) in
      prodR (fun z => evalR (IZR z :: env) b) l (count l (Int_part (evalR env hi)))
  | Rec s t i st =>
      let a := Int_part (evalR env s) in
      recR (fun z x => evalR (IZR z :: x :: env) st) a (evalR env i)
        (Z.to_nat (Int_part (evalR env t) - a))
  | Let v b => evalR (evalR env v :: env) b
  end.

Inductive Rel := Le | Lt | Ge | Gt | Eq.

Definition holdsR (r : Rel) (x y : R) : Prop :=
  match r with
  | Le => x <= y | Lt => x < y | Ge => x >= y | Gt => x > y | Eq => x = y
  end.

(** The statement of a relation [lhs r rhs] at the parameter values [env] (the last
    parameter first). *)
Definition Claim (r : Rel) (lhs rhs : E) (env : list R) : Prop :=
  holdsR r (evalR env lhs) (evalR env rhs).

(** ** Computation over Q *)

Open Scope Q_scope.

Definition qred (q : Q) : Q := Qred q.
Arguments qred : simpl never.

Definition qint (q : Q) : option Z :=
  let r := Qred q in if (Qden r =? 1)%positive then Some (Qnum r) else None.

(** Powers of a reduced fraction are reduced: no gcd is needed after the first. *)
Fixpoint qpow (q : Q) (n : nat) : Q :=
  match n with O => 1 | S k => q * qpow q k end.

Definition qpowZ (q : Q) (z : Z) : option Q :=
  match z with
  | Z0 => Some 1
  | Zpos p => Some (qpow (qred q) (Pos.to_nat p))
  | Zneg p => if Qeq_bool q 0 then None else Some (/ qpow (qred q) (Pos.to_nat p))
  end.

Fixpoint sumQ (f : Z -> option Q) (lo : Z) (n : nat) : option Q :=
  match n with
  | O => Some 0
  | S k => match f lo, sumQ f (lo + 1)%Z k with
           | Some a, Some b => Some (qred (a + b)) | _, _ => None end
  end.

Fixpoint prodQ (f : Z -> option Q) (lo : Z) (n : nat) : option Q :=
  match n with
  | O => Some 1
  | S k => match f lo, prodQ f (lo + 1)%Z k with
           | Some a, Some b => Some (qred (a * b)) | _, _ => None end
  end.

Fixpoint recQ (f : Z -> Q -> option Q) (t : Z) (x : Q) (n : nat) : option Q :=
  match n with
  | O => Some x
  | S k => match f t x with Some y => recQ f (t + 1)%Z y k | None => None end
  end.

Definition qmin (a b : Q) : Q := if Qle_bool a b then a else b.
Definition qmax (a b : Q) : Q := if Qle_bool a b then b else a.

(** The square root of a rational that is the square of a rational (of its reduced form's
    numerator and denominator), else nothing. *)
Definition qsqrt (q : Q) : option Q :=
  let r := Qred q in
  let n := Qnum r in let d := Zpos (Qden r) in
  let sn := Z.sqrt n in let sd := Z.sqrt d in
  if (0 <=? n)%Z && (sn * sn =? n)%Z && (sd * sd =? d)%Z then Some (sn # Z.to_pos sd) else None.

Fixpoint evalQ (env : list Q) (e : E) : option Q :=
  match e with
  | Cst q => Some q
  | Var i => nth_error env i
  | Neg a => match evalQ env a with Some x => Some (qred (- x)) | None => None end
  | Add a b => match evalQ env a, evalQ env b with
               | Some x, Some y => Some (qred (x + y)) | _, _ => None end
  | Sub a b => match evalQ env a, evalQ env b with
               | Some x, Some y => Some (qred (x - y)) | _, _ => None end
  | Mul a b => match evalQ env a, evalQ env b with
               | Some x, Some y => Some (qred (x * y)) | _, _ => None end
  | Div a b => match evalQ env a, evalQ env b with
               | Some x, Some y => if Qeq_bool y 0 then None else Some (qred (x / y))
               | _, _ => None end
  | PowZ a z => match evalQ env a with Some x => qpowZ x z | None => None end
  | Pow a b => match evalQ env a, evalQ env b with
               | Some x, Some y =>
                   match qint y with
                   | Some z => if Qeq_bool x 0 then
                                 (if Qle_bool y 0 then (if Qeq_bool y 0 then Some 1 else None)
                                  else Some 0)
                               else qpowZ x z
                   | None => None
                   end
               | _, _ => None end
  | Exp a => match evalQ env a with
             | Some x => if Qeq_bool x 0 then Some 1 else None | None => None end
  | Ln a => match evalQ env a with
            | Some x => if Qeq_bool x 1 then Some 0 else None | None => None end
  | Sqrt a => match evalQ env a with Some x => qsqrt x | None => None end
  | Abs a => match evalQ env a with Some x => Some (qmax x (qred (- x))) | None => None end
  | Min a b => match evalQ env a, evalQ env b with
               | Some x, Some y => Some (qmin x y) | _, _ => None end
  | Max a b => match evalQ env a, evalQ env b with
               | Some x, Some y => Some (qmax x y) | _, _ => None end
  | Floor a => match evalQ env a with Some x => Some (inject_Z (Qfloor x)) | None => None end
  | Ceil a => match evalQ env a with Some x => Some (inject_Z (Qceiling x)) | None => None end
  | Sum lo hi b => match evalQ env lo, evalQ env hi with
                   | Some l, Some h => match qint l, qint h with
                       | Some l, Some h =>
                           sumQ (fun z => evalQ (inject_Z z :: env) b) l (count l h)
                       | _, _ => None end
                   | _, _ => None end
  | Prod lo hi b => match evalQ env lo, evalQ env hi with
                   | Some l, Some h => match qint l, qint h with
                       | Some l, Some h =>
                           prodQ (fun z => evalQ (inject_Z z :: env) b) l (count l h)
                       | _, _ => None end
                   | _, _ => None end
  | Rec s t i st => match evalQ env s, evalQ env t, evalQ env i with
                    | Some s, Some t, Some x => match qint s, qint t with
                        | Some s, Some t =>
                            if (t <? s)%Z then None else
                            recQ (fun z y => evalQ (inject_Z z :: y :: env) st) s x
                              (Z.to_nat (t - s))
                        | _, _ => None end
                    | _, _, _ => None end
  | Let v b => match evalQ env v with Some x => evalQ (x :: env) b | None => None end
  end.

Close Scope Q_scope.

(** ** Soundness of the rational evaluator *)

Lemma Q2R_red : forall q, Q2R (qred q) = Q2R q.
Proof. intros; apply Qeq_eqR, Qred_correct. Qed.

Lemma Int_part_IZR : forall z, Int_part (IZR z) = z.
Proof.
  intros z; unfold Int_part.
  rewrite <- (tech_up (IZR z) (z + 1)); [lia | rewrite plus_IZR; lra | rewrite plus_IZR; lra].
Qed.

Lemma qint_sound : forall q z, qint q = Some z -> Q2R q = IZR z.
Proof.
  intros q z H; unfold qint in H.
  destruct (Qden (Qred q) =? 1)%positive eqn:D; [|discriminate].
  injection H as <-. apply Pos.eqb_eq in D.
  rewrite <- Q2R_red. unfold qred. destruct (Qred q) as [n d]; simpl in *; subst.
  unfold Q2R; simpl; lra.
Qed.

Lemma qpow_sound : forall q n, Q2R (qpow q n) = (Q2R q ^ n)%R.
Proof.
  induction n; cbn [qpow pow].
  - unfold Q2R; simpl; lra.
  - rewrite Q2R_mult, IHn; reflexivity.
Qed.

Lemma Q2R_zero : forall q, Qeq_bool q 0%Q = false -> Q2R q <> 0.
Proof.
  intros q H E. apply (Qeq_bool_neq q 0); [exact H|].
  apply eqR_Qeq. rewrite E. unfold Q2R; simpl; lra.
Qed.

Lemma Q2R_is_zero : forall q, Qeq_bool q 0%Q = true -> Q2R q = 0.
Proof.
  intros q H. apply Qeq_bool_iff in H. rewrite (Qeq_eqR _ _ H). unfold Q2R; simpl; lra.
Qed.

Lemma Q2R_inv' : forall q, Q2R (/ q) = / Q2R q.
Proof.
  intros q. destruct (Qeq_bool q 0) eqn:Z.
  - apply Qeq_bool_iff in Z. rewrite (Qeq_eqR _ _ Z).
    assert (Hi : (/ q == / 0)%Q) by (rewrite Z; reflexivity).
    rewrite (Qeq_eqR _ _ Hi). unfold Q2R; simpl. rewrite Rmult_0_l, Rinv_0. lra.
  - apply Q2R_inv. intro H. apply (Qeq_bool_neq q 0 Z H).
Qed.

Lemma qpowZ_sound : forall q z r, qpowZ q z = Some r -> Q2R r = powerRZ (Q2R q) z.
Proof.
  intros q z r H; destruct z as [|p|p]; cbn [qpowZ] in H.
  - injection H as <-; simpl; unfold Q2R; simpl; lra.
  - injection H as <-; cbn [powerRZ]; rewrite qpow_sound, Q2R_red; reflexivity.
  - destruct (Qeq_bool q 0) eqn:Z0; [discriminate|]. injection H as <-.
    cbn [powerRZ]. rewrite Q2R_inv', qpow_sound, Q2R_red. reflexivity.
Qed.

Lemma nth_map_Q2R : forall l i q, nth_error l i = Some q -> nth i (map Q2R l) 0%R = Q2R q.
Proof.
  induction l as [|a l IH]; intros [|i] q H; simpl in *; try discriminate.
  - injection H as <-; reflexivity.
  - apply IH, H.
Qed.

Lemma Q2R_inject : forall z, Q2R (inject_Z z) = IZR z.
Proof. intros; unfold Q2R; simpl; field. Qed.

Lemma qmin_sound : forall x y, Q2R (qmin x y) = Rmin (Q2R x) (Q2R y).
Proof.
  intros; unfold qmin, Rmin.
  destruct (Qle_bool x y) eqn:H; destruct (Rle_dec (Q2R x) (Q2R y)) as [h|h]; auto.
  - apply Qle_bool_iff, Qle_Rle in H; contradiction.
  - apply Rle_Qle, Qle_bool_iff in h; congruence.
Qed.

Lemma qmax_sound : forall x y, Q2R (qmax x y) = Rmax (Q2R x) (Q2R y).
Proof.
  intros; unfold qmax, Rmax.
  destruct (Qle_bool x y) eqn:H; destruct (Rle_dec (Q2R x) (Q2R y)) as [h|h]; auto.
  - apply Qle_bool_iff, Qle_Rle in H; contradiction.
  - apply Rle_Qle, Qle_bool_iff in h; congruence.
Qed.

Lemma Rmax_abs : forall x, Rmax x (- x) = Rabs x.
Proof.
  intros; unfold Rmax, Rabs; destruct (Rle_dec x (- x)); destruct (Rcase_abs x); lra.
Qed.

Lemma Rpower_IZR : forall x z, (0 < x)%R -> Rpower x (IZR z) = powerRZ x z.
Proof.
  intros x z Hx; destruct z as [|p|p]; cbn [powerRZ].
  - apply Rpower_O, Hx.
  - rewrite <- positive_nat_Z, <- INR_IZR_INZ. apply Rpower_pow, Hx.
  - change (IZR (Zneg p)) with (- IZR (Zpos p))%R.
    rewrite Rpower_Ropp, <- positive_nat_Z, <- INR_IZR_INZ, Rpower_pow; auto.
Qed.

Lemma sumQ_sound : forall fq fr, (forall z q, fq z = Some q -> fr z = Q2R q) ->
  forall n lo q, sumQ fq lo n = Some q -> sumR fr lo n = Q2R q.
Proof.
  intros fq fr Hf; induction n as [|n IH]; intros lo q H; cbn [sumQ sumR] in *.
  - injection H as <-; unfold Q2R; simpl; lra.
  - destruct (fq lo) eqn:A; destruct (sumQ fq (lo + 1)%Z n) eqn:B; try discriminate.
    injection H as <-. rewrite Q2R_red, Q2R_plus, (Hf _ _ A), (IH _ _ B); reflexivity.
Qed.

Lemma prodQ_sound : forall fq fr, (forall z q, fq z = Some q -> fr z = Q2R q) ->
  forall n lo q, prodQ fq lo n = Some q -> prodR fr lo n = Q2R q.
Proof.
  intros fq fr Hf; induction n as [|n IH]; intros lo q H; cbn [prodQ prodR] in *.
  - injection H as <-; unfold Q2R; simpl; lra.
  - destruct (fq lo) eqn:A; destruct (prodQ fq (lo + 1)%Z n) eqn:B; try discriminate.
    injection H as <-. rewrite Q2R_red, Q2R_mult, (Hf _ _ A), (IH _ _ B); reflexivity.
Qed.

Lemma recQ_sound : forall fq fr, (forall z x y, fq z x = Some y -> fr z (Q2R x) = Q2R y) ->
  forall n t x q, recQ fq t x n = Some q -> recR fr t (Q2R x) n = Q2R q.
Proof.
  intros fq fr Hf; induction n as [|n IH]; intros t x q H; cbn [recQ recR] in *.
  - injection H as <-; reflexivity.
  - destruct (fq t x) eqn:A; try discriminate. rewrite (Hf _ _ _ A). apply IH, H.
Qed.

Ltac opt_cases :=
  repeat match goal with
  | H : match ?x with Some _ => _ | None => _ end = Some _ |- _ =>
      let E := fresh "E" in destruct x eqn:E; try discriminate
  | H : (if ?b then _ else _) = Some _ |- _ =>
      let E := fresh "B" in destruct b eqn:E; try discriminate
  end.

Lemma qsqrt_sound : forall q r, qsqrt q = Some r -> Q2R r = sqrt (Q2R q).
Proof.
  intros q r H; unfold qsqrt in H.
  rewrite <- (Qeq_eqR _ _ (Qred_correct q)).
  destruct (Qred q) as [n d]; cbn [Qnum Qden] in *.
  destruct ((0 <=? n)%Z && (Z.sqrt n * Z.sqrt n =? n)%Z && (Z.sqrt (Zpos d) * Z.sqrt (Zpos d) =? Zpos d)%Z) eqn:B; [|discriminate].
  injection H as <-.
  apply andb_true_iff in B as [B Hd]; apply andb_true_iff in B as [Hn0 Hn].
  apply Z.leb_le in Hn0; apply Z.eqb_eq in Hn; apply Z.eqb_eq in Hd.
  assert (Hs : (0 < Z.sqrt (Zpos d))%Z).
  { destruct (Z.eq_dec (Z.sqrt (Zpos d)) 0) as [e|e]; [rewrite e in Hd; simpl in Hd; discriminate|].
    pose proof (Z.sqrt_nonneg (Zpos d)); lia. }
  unfold Q2R; cbn [Qnum Qden].
  change (Z.pos (Pos.sqrt d)) with (Z.sqrt (Z.pos d)).
  set (a := Z.sqrt n) in *. set (b := Z.sqrt (Z.pos d)) in *.
  rewrite <- Hn, <- Hd, !mult_IZR.
  assert (0 <= IZR a) by (apply IZR_le, Z.sqrt_nonneg).
  assert (0 < IZR b) by (apply IZR_lt, Hs).
  replace (IZR a * IZR a * / (IZR b * IZR b)) with ((IZR a / IZR b) * (IZR a / IZR b))
    by (field; lra).
  rewrite sqrt_square; [reflexivity|]. unfold Rdiv. apply Rmult_le_pos; [lra|]. apply Rlt_le, Rinv_0_lt_compat; lra.
Qed.

Lemma Q2R_is_one : forall q, Qeq_bool q 1%Q = true -> Q2R q = 1.
Proof.
  intros q H. apply Qeq_bool_iff in H. rewrite (Qeq_eqR _ _ H). unfold Q2R; simpl; lra.
Qed.

(** The integer part of a rational is its floor. *)
Lemma Int_part_Q2R : forall q, Int_part (Q2R q) = Qfloor q.
Proof.
  intros q. unfold Int_part.
  rewrite <- (up_tech (Q2R q) (Qfloor q)); [lia| |].
  - rewrite <- Q2R_inject. apply Qle_Rle, Qfloor_le.
  - rewrite <- Q2R_inject. apply Qlt_Rlt, Qlt_floor.
Qed.

(** A rational value computed by [evalQ] is the real value of the expression. *)
Theorem evalQ_sound : forall e env q, evalQ env e = Some q -> evalR (map Q2R env) e = Q2R q.
Proof.
  induction e; intros env r H; cbn [evalQ evalR] in *; opt_cases;
    repeat match goal with
    | IH : forall env q, evalQ env ?e = Some q -> _, E : evalQ ?env ?e = Some ?v |- _ =>
        rewrite (IH env v E); clear E
    end;
    try (injection H as <-).
  all: try discriminate.
  - reflexivity.
  - apply nth_map_Q2R, H.
  - rewrite Q2R_red, Q2R_opp; reflexivity.
  - rewrite Q2R_red, Q2R_plus; reflexivity.
  - rewrite Q2R_red, Q2R_minus; reflexivity.
  - rewrite Q2R_red, Q2R_mult; reflexivity.
  - rewrite Q2R_red, Q2R_div; [reflexivity|]. intro Hq.
    match goal with Hb : Qeq_bool _ 0%Q = false |- _ => apply (Qeq_bool_neq _ _ Hb Hq) end.
  - symmetry; apply qpowZ_sound, H.
  - (* 0 ^ 0 *)
    match goal with Hx : Qeq_bool ?x 0%Q = true, Hy : Qeq_bool ?y 0%Q = true |- powR _ _ = _ =>
      rewrite (Q2R_is_zero x Hx), (Q2R_is_zero y Hy) end.
    unfold powR. destruct (Rlt_dec 0 0); [lra|]. destruct (Req_EM_T 0 0); [|congruence].
    destruct (Rlt_dec 0 0); [lra|]. unfold Q2R; simpl; lra.
  - (* 0 ^ positive integer *)
    match goal with Hx : Qeq_bool ?x 0%Q = true, Hy : Qle_bool ?y 0%Q = false |- powR _ _ = _ =>
      rewrite (Q2R_is_zero x Hx);
      assert (Hp : (0 < Q2R y)%R) by
        (apply Rnot_le_lt; intro Hle;
         assert (Hq : (Q2R y <= Q2R 0)%R) by (unfold Q2R at 2; simpl; lra);
         apply Rle_Qle, Qle_bool_iff in Hq; congruence)
    end.
    unfold powR. destruct (Rlt_dec 0 0); [lra|]. destruct (Req_EM_T 0 0); [|congruence].
    destruct (Rlt_dec 0 _); [|lra]. unfold Q2R; simpl; lra.
  - (* nonzero base, integer exponent *)
    rewrite (qpowZ_sound _ _ _ H).
    match goal with Hz : qint ?y = Some ?z, Hx : Qeq_bool ?x 0%Q = false |- _ =>
      rewrite (qint_sound y z Hz); unfold powR;
      destruct (Rlt_dec 0 (Q2R x)); [apply Rpower_IZR; auto|];
      destruct (Req_EM_T (Q2R x) 0) as [e0|]; [exfalso; apply (Q2R_zero _ Hx e0)|];
      rewrite Int_part_IZR; reflexivity
    end.
  - (* exp 0 *)
    match goal with Hx : Qeq_bool ?x 0%Q = true |- _ => rewrite (Q2R_is_zero x Hx) end.
    rewrite exp_0; unfold Q2R; simpl; lra.
  - (* ln 1 *)
    match goal with Hx : Qeq_bool ?x 1%Q = true |- _ => rewrite (Q2R_is_one x Hx) end.
    rewrite ln_1; unfold Q2R; simpl; lra.
  - (* sqrt of a square *)
    symmetry; apply qsqrt_sound, H.
  - rewrite qmax_sound, Q2R_red, Q2R_opp, Rmax_abs; reflexivity.
  - symmetry; apply qmin_sound.
  - symmetry; apply qmax_sound.
  - (* floor *)
    rewrite Q2R_inject, Int_part_Q2R; reflexivity.
  - (* ceiling *)
    rewrite Q2R_inject, <- Q2R_opp, Int_part_Q2R. unfold Qceiling. rewrite opp_IZR; reflexivity.
  - (* Sum *)
    match goal with H1 : qint ?l = Some _, H2 : qint ?h = Some _ |- _ =>
      rewrite (qint_sound _ _ H1), (qint_sound _ _ H2), !Int_part_IZR end.
    apply (sumQ_sound (fun z => evalQ (inject_Z z :: env) e3)); [|exact H].
    intros k v Hv. rewrite <- Q2R_inject. apply (IHe3 (inject_Z k :: env)), Hv.
  - (* Prod *)
    match goal with H1 : qint ?l = Some _, H2 : qint ?h = Some _ |- _ =>
      rewrite (qint_sound _ _ H1), (qint_sound _ _ H2), !Int_part_IZR end.
    apply (prodQ_sound (fun z => evalQ (inject_Z z :: env) e3)); [|exact H].
    intros k v Hv. rewrite <- Q2R_inject. apply (IHe3 (inject_Z k :: env)), Hv.
  - (* Rec *)
    match goal with H1 : qint ?l = Some _, H2 : qint ?h = Some _ |- _ =>
      rewrite (qint_sound _ _ H1), (qint_sound _ _ H2), !Int_part_IZR end.
    apply (recQ_sound (fun z y => evalQ (inject_Z z :: y :: env) e4)); [|exact H].
    intros k x y Hv. rewrite <- Q2R_inject. apply (IHe4 (inject_Z k :: x :: env)), Hv.
  - (* Let *)
    match goal with |- evalR (Q2R ?v :: _) _ = _ => apply (IHe2 (v :: env)), H end.
Qed.

(** ** Folding rational subterms into constants *)

(** [foldE env e] replaces every subterm of [e] that [evalQ] computes by its value (inside
    binders only through [Let] with a rational value); what is left is what [interval]
    must bound. *)
Fixpoint foldE (env : list Q) (e : E) : E :=
  match evalQ env e with
  | Some q => Cst q
  | None =>
    match e with
    | Neg a => Neg (foldE env a)
    | Add a b => Add (foldE env a) (foldE env b)
    | Sub a b => Sub (foldE env a) (foldE env b)
    | Mul a b => Mul (foldE env a) (foldE env b)
    | Div a b => Div (foldE env a) (foldE env b)
    | PowZ a z => PowZ (foldE env a) z
    | Pow a b => Pow (foldE env a) (foldE env b)
    | Exp a => Exp (foldE env a)
    | Ln a => Ln (foldE env a)
    | Sqrt a => Sqrt (foldE env a)
    | Abs a => Abs (foldE env a)
    | Min a b => Min (foldE env a) (foldE env b)
    | Max a b => Max (foldE env a) (foldE env b)
    | Floor a => Floor (foldE env a)
    | Ceil a => Ceil (foldE env a)
    | Let v b => match evalQ env v with
                 | Some x => Let (Cst x) (foldE (x :: env) b)
                 | None => Let (foldE env v) b
                 end
    | _ => e
    end
  end.

Theorem foldE_sound : forall e env, evalR (map Q2R env) (foldE env e) = evalR (map Q2R env) e.
Proof.
  induction e; intros env; cbn [foldE];
    destruct (evalQ env _) eqn:H; try (symmetry; apply evalQ_sound, H);
    cbn [evalR]; try congruence.
  destruct (evalQ env e1) eqn:V.
  - cbn [evalR]. rewrite (evalQ_sound _ _ _ V). apply (IHe2 (q :: env)).
  - cbn [evalR]. rewrite IHe1. reflexivity.
Qed.

(** ** Unrolling short sums and products at a point *)

Fixpoint unroll (op : E -> E -> E) (unit : E) (f : Z -> E) (z : Z) (n : nat) : E :=
  match n with O => unit | S k => op (f z) (unroll op unit f (z + 1)%Z k) end.

(** [unrollE env e] writes every sum and product of [e] whose bounds are integers at [env]
    and that has at most 64 terms as the explicit chain of its terms (each binding its index
    with [Let]), so that [foldE] and [interval] can see inside it. *)
Fixpoint unrollE (env : list Q) (e : E) : E :=
  match e with
  | Neg a => Neg (unrollE env a)
  | Add a b => Add (unrollE env a) (unrollE env b)
  | Sub a b => Sub (unrollE env a) (unrollE env b)
  | Mul a b => Mul (unrollE env a) (unrollE env b)
  | Div a b => Div (unrollE env a) (unrollE env b)
  | PowZ a z => PowZ (unrollE env a) z
  | Pow a b => Pow (unrollE env a) (unrollE env b)
  | Exp a => Exp (unrollE env a)
  | Ln a => Ln (unrollE env a)
  | Sqrt a => Sqrt (unrollE env a)
  | Abs a => Abs (unrollE env a)
  | Min a b => Min (unrollE env a) (unrollE env b)
  | Max a b => Max (unrollE env a) (unrollE env b)
  | Floor a => Floor (unrollE env a)
  | Ceil a => Ceil (unrollE env a)
  | Sum lo hi b =>
      match evalQ env lo, evalQ env hi with
      | Some l, Some h =>
          match qint l, qint h with
          | Some zl, Some zh =>
              if (count zl zh <=? 64)%nat then
                unroll Add (Cst 0)
                  (fun z => Let (Cst (inject_Z z)) (unrollE (inject_Z z :: env) b)) zl (count zl zh)
              else e
          | _, _ => e
          end
      | _, _ => e
      end
  | Prod lo hi b =>
      match evalQ env lo, evalQ env hi with
      | Some l, Some h =>
          match qint l, qint h with
          | Some zl, Some zh =>
              if (count zl zh <=? 64)%nat then
                unroll Mul (Cst 1)
                  (fun z => Let (Cst (inject_Z z)) (unrollE (inject_Z z :: env) b)) zl (count zl zh)
              else e
          | _, _ => e
          end
      | _, _ => e
      end
  | Let v b =>
      match evalQ env v with
      | Some x => Let (unrollE env v) (unrollE (x :: env) b)
      | None => Let (unrollE env v) b
      end
  | _ => e
  end.

Lemma unroll_sum : forall env f g z n, (forall k, evalR env (f k) = g k) ->
  evalR env (unroll Add (Cst 0) f z n) = sumR g z n.
Proof.
  intros env f g z n H; revert z; induction n as [|n IH]; intros z; cbn [unroll sumR evalR].
  - unfold Q2R; simpl; lra.
  - rewrite H, IH; reflexivity.
Qed.

Lemma unroll_prod : forall env f g z n, (forall k, evalR env (f k) = g k) ->
  evalR env (unroll Mul (Cst 1) f z n) = prodR g z n.
Proof.
  intros env f g z n H; revert z; induction n as [|n IH]; intros z; cbn [unroll prodR evalR].
  - unfold Q2R; simpl; lra.
  - rewrite H, IH; reflexivity.
Qed.

Theorem unrollE_sound : forall e env, evalR (map Q2R env) (unrollE env e) = evalR (map Q2R env) e.
Proof.
  induction e; intros env; cbn [unrollE evalR]; try congruence.
  - (* Sum *)
    destruct (evalQ env e1) as [l|] eqn:A; [|reflexivity].
    destruct (evalQ env e2) as [h|] eqn:B; [|reflexivity].
    destruct (qint l) as [zl|] eqn:C; [|reflexivity].
    destruct (qint h) as [zh|] eqn:D; [|reflexivity].
    destruct (count zl zh <=? 64)%nat; [|reflexivity].
    cbn [evalR]. rewrite (evalQ_sound _ _ _ A), (evalQ_sound _ _ _ B),
      (qint_sound _ _ C), (qint_sound _ _ D), !Int_part_IZR.
    apply unroll_sum. intros k. cbn [evalR]. rewrite <- Q2R_inject.
    apply (IHe3 (inject_Z k :: env)).
  - (* Prod *)
    destruct (evalQ env e1) as [l|] eqn:A; [|reflexivity].
    destruct (evalQ env e2) as [h|] eqn:B; [|reflexivity].
    destruct (qint l) as [zl|] eqn:C; [|reflexivity].
    destruct (qint h) as [zh|] eqn:D; [|reflexivity].
    destruct (count zl zh <=? 64)%nat; [|reflexivity].
    cbn [evalR]. rewrite (evalQ_sound _ _ _ A), (evalQ_sound _ _ _ B),
      (qint_sound _ _ C), (qint_sound _ _ D), !Int_part_IZR.
    apply unroll_prod. intros k. cbn [evalR]. rewrite <- Q2R_inject.
    apply (IHe3 (inject_Z k :: env)).
  - (* Let *)
    destruct (evalQ env e1) as [x|] eqn:A; cbn [evalR]; rewrite IHe1; [|reflexivity].
    rewrite (evalQ_sound _ _ _ A). apply (IHe2 (x :: env)).
Qed.

(** What a point proof states and [vm_compute] checks: sums unrolled, then every rational
    subterm folded into its value. *)
Definition simp (env : list Q) (e : E) : E := foldE env (unrollE env e).

Theorem simp_sound : forall e env, evalR (map Q2R env) (simp env e) = evalR (map Q2R env) e.
Proof. intros; unfold simp; rewrite foldE_sound; apply unrollE_sound. Qed.

(** ** Reflective checks *)

Definition relQ (r : Rel) (x y : Q) : bool :=
  match r with
  | Le => Qle_bool x y
  | Lt => negb (Qle_bool y x)
  | Ge => Qle_bool y x
  | Gt => negb (Qle_bool x y)
  | Eq => Qeq_bool x y
  end.

Lemma relQ_iff : forall r x y, relQ r x y = true <-> holdsR r (Q2R x) (Q2R y).
Proof.
  intros r x y; destruct r; unfold relQ, holdsR.
  - rewrite Qle_bool_iff; split; [apply Qle_Rle | apply Rle_Qle].
  - destruct (Qle_bool y x) eqn:H; simpl; split; intro h; try discriminate; try reflexivity.
    + apply Qle_bool_iff, Qle_Rle in H; lra.
    + apply Rnot_le_lt; intro c; apply Rle_Qle, Qle_bool_iff in c; congruence.
  - rewrite Qle_bool_iff; split; [intro h; apply Rle_ge, Qle_Rle, h | intro h; apply Rle_Qle, Rge_le, h].
  - destruct (Qle_bool x y) eqn:H; simpl; split; intro h; try discriminate; try reflexivity.
    + apply Qle_bool_iff, Qle_Rle in H; lra.
    + apply Rnot_le_lt; intro c; apply Rle_Qle, Qle_bool_iff in c; congruence.
  - rewrite Qeq_bool_iff; split; [apply Qeq_eqR | apply eqR_Qeq].
Qed.

Definition checkQ (r : Rel) (lhs rhs : E) (env : list Q) : bool :=
  match evalQ env lhs, evalQ env rhs with Some x, Some y => relQ r x y | _, _ => false end.

Definition refuteQ (r : Rel) (lhs rhs : E) (env : list Q) : bool :=
  match evalQ env lhs, evalQ env rhs with Some x, Some y => negb (relQ r x y) | _, _ => false end.

Lemma checkQ_sound : forall r l h env, checkQ r l h env = true -> Claim r l h (map Q2R env).
Proof.
  unfold checkQ, Claim; intros r l h env H.
  destruct (evalQ env l) eqn:A; destruct (evalQ env h) eqn:B; try discriminate.
  rewrite (evalQ_sound _ _ _ A), (evalQ_sound _ _ _ B). apply relQ_iff, H.
Qed.

Lemma refuteQ_sound : forall r l h env, refuteQ r l h env = true -> ~ Claim r l h (map Q2R env).
Proof.
  unfold refuteQ, Claim; intros r l h env H C.
  destruct (evalQ env l) eqn:A; destruct (evalQ env h) eqn:B; try discriminate.
  rewrite (evalQ_sound _ _ _ A), (evalQ_sound _ _ _ B) in C. apply relQ_iff in C.
  rewrite C in H; discriminate.
Qed.

Lemma points_sound : forall r l h pts, forallb (checkQ r l h) pts = true ->
  forall p, In p pts -> Claim r l h (map Q2R p).
Proof.
  intros r l h pts H p Hp. apply checkQ_sound. rewrite forallb_forall in H. apply H, Hp.
Qed.

(** A parameter's domain: the integers between two bounds, or a finite list of values
    (all expressions in the earlier parameters, the last one first). *)
Inductive Dom := Range (lo hi : E) | Among (vs : list E).

(** [P] holds at every point of the grid [ds] (parameters in declaration order; the
    environment lists the values bound so far, the last one first). *)
Fixpoint Forall_grid (ds : list Dom) (P : list R -> Prop) (env : list R) : Prop :=
  match ds with
  | [] => P env
  | Range lo hi :: ds =>
      forall z : Z, evalR env lo <= IZR z <= evalR env hi -> Forall_grid ds P (IZR z :: env)
  | Among vs :: ds => forall v, In v vs -> Forall_grid ds P (evalR env v :: env)
  end.

Fixpoint allZ (f : Z -> bool) (lo : Z) (n : nat) : bool :=
  match n with O => true | S k => f lo && allZ f (lo + 1)%Z k end.

Fixpoint check_grid (ds : list Dom) (c : list Q -> bool) (env : list Q) : bool :=
  match ds with
  | [] => c env
  | Range lo hi :: ds' =>
      match evalQ env lo, evalQ env hi with
      | Some l, Some h =>
          let a := Qceiling l in
          allZ (fun z => check_grid ds' c (inject_Z z :: env)) a (count a (Qfloor h))
      | _, _ => false
      end
  | Among vs :: ds' =>
      forallb (fun v => match evalQ env v with
                        | Some x => check_grid ds' c (x :: env)
                        | None => false end) vs
  end.

Lemma allZ_sound : forall f n lo, allZ f lo n = true ->
  forall z, (lo <= z < lo + Z.of_nat n)%Z -> f z = true.
Proof.
  intros f; induction n as [|n IH]; intros lo H z Hz; cbn [allZ] in H.
  - lia.
  - apply andb_true_iff in H as [H1 H2].
    destruct (Z.eq_dec z lo) as [->|]; [exact H1|]. apply (IH (lo + 1)%Z H2). lia.
Qed.

Theorem grid_sound : forall ds (c : list Q -> bool) (P : list R -> Prop),
  (forall env, c env = true -> P (map Q2R env)) ->
  forall env, check_grid ds c env = true -> Forall_grid ds P (map Q2R env).
Proof.
  induction ds as [|d ds IH]; intros c P Hc env H; cbn [check_grid Forall_grid] in *.
  - apply Hc, H.
  - destruct d as [lo hi|vs].
    + destruct (evalQ env lo) as [l|] eqn:A; [|discriminate].
      destruct (evalQ env hi) as [h|] eqn:B; [|discriminate].
      intros z [Hl Hh].
      rewrite (evalQ_sound _ _ _ A), <- Q2R_inject in Hl.
      rewrite (evalQ_sound _ _ _ B), <- Q2R_inject in Hh.
      apply Rle_Qle in Hl; apply Rle_Qle in Hh.
      pose proof (Qceiling_resp_le _ _ Hl) as Cl; rewrite Qceiling_Z in Cl.
      pose proof (Qfloor_resp_le _ _ Hh) as Ch; rewrite Qfloor_Z in Ch.
      rewrite <- Q2R_inject. change (Q2R (inject_Z z) :: map Q2R env) with (map Q2R (inject_Z z :: env)).
      apply (IH c P Hc).
      apply (allZ_sound _ _ _ H). unfold count. rewrite Z2Nat.id; lia.
    + intros v Hv. rewrite forallb_forall in H. specialize (H v Hv).
      destruct (evalQ env v) as [x|] eqn:A; [|discriminate].
      rewrite (evalQ_sound _ _ _ A). change (Q2R x :: map Q2R env) with (map Q2R (x :: env)).
      apply (IH c P Hc), H.
Qed.

(** ** Fast computation over machine-word big rationals

    [evalB] is [evalQ] over [bigQ] (the Bignums library: numerators and denominators in
    63-bit machine words, which [vm_compute] runs as native integers). Its operations do not
    reduce fractions (a gcd costs more than the arithmetic it saves on the recurrences of
    stability proofs: five times more on Lemma 1's grid); only the base of a power is
    reduced. [evalB_sound] links it to the reals as [evalQ_sound] does; whole-grid
    certificates run it, and stabcert charges the sizes of these unreduced numbers when it
    decides whether a grid is affordable. *)

From Bignums Require Import BigQ BigZ.

Definition B2R (x : bigQ) : R := Q2R (BigQ.to_Q x).

Definition bint (x : bigQ) : option Z := qint (BigQ.to_Q x).

Definition bpow (x : bigQ) (z : Z) : option bigQ :=
  match z with
  | Z0 => Some BigQ.one
  | Zpos p => Some (BigQ.power_pos (BigQ.red x) p)
  | Zneg p => if BigQ.eq_bool x BigQ.zero then None
              else Some (BigQ.inv (BigQ.power_pos (BigQ.red x) p))
  end.

Fixpoint sumB (f : Z -> option bigQ) (lo : Z) (n : nat) : option bigQ :=
  match n with
  | O => Some BigQ.zero
  | S k => match f lo, sumB f (lo + 1)%Z k with
           | Some a, Some b => Some (BigQ.add a b) | _, _ => None end
  end.

Fixpoint prodB (f : Z -> option bigQ) (lo : Z) (n : nat) : option bigQ :=
  match n with
  | O => Some BigQ.one
  | S k => match f lo, prodB f (lo + 1)%Z k with
           | Some a, Some b => Some (BigQ.mul a b) | _, _ => None end
  end.

Fixpoint recB (f : Z -> bigQ -> option bigQ) (t : Z) (x : bigQ) (n : nat) : option bigQ :=
  match n with
  | O => Some x
  | S k => match f t x with Some y => recB f (t + 1)%Z y k | None => None end
  end.

Definition bmin (x y : bigQ) : bigQ :=
  match BigQ.compare x y with Datatypes.Gt => y | _ => x end.
Definition bmax (x y : bigQ) : bigQ :=
  match BigQ.compare x y with Datatypes.Gt => x | _ => y end.

Fixpoint evalB (env : list bigQ) (e : E) : option bigQ :=
  match e with
  | Cst q => Some (BigQ.of_Q q)
  | Var i => nth_error env i
  | Neg a => match evalB env a with Some x => Some (BigQ.opp x) | None => None end
  | Add a b => match evalB env a, evalB env b with
               | Some x, Some y => Some (BigQ.add x y) | _, _ => None end
  | Sub a b => match evalB env a, evalB env b with
               | Some x, Some y => Some (BigQ.sub x y) | _, _ => None end
  | Mul a b => match evalB env a, evalB env b with
               | Some x, Some y => Some (BigQ.mul x y) | _, _ => None end
  | Div a b => match evalB env a, evalB env b with
               | Some x, Some y => if BigQ.eq_bool y BigQ.zero then None
                                   else Some (BigQ.div x y)
               | _, _ => None end
  | PowZ a z => match evalB env a with Some x => bpow x z | None => None end
  | Pow a b => match evalB env a, evalB env b with
               | Some x, Some y =>
                   match bint y with
                   | Some z => if BigQ.eq_bool x BigQ.zero then
                                 (match z with Z0 => Some BigQ.one | Zpos _ => Some BigQ.zero
                                  | Zneg _ => None end)
                               else bpow x z
                   | None => None
                   end
               | _, _ => None end
  | Exp a => match evalB env a with
             | Some x => if BigQ.eq_bool x BigQ.zero then Some BigQ.one else None
             | None => None end
  | Ln a => match evalB env a with
            | Some x => if BigQ.eq_bool x BigQ.one then Some BigQ.zero else None
            | None => None end
  | Sqrt a => match evalB env a with
              | Some x => match qsqrt (BigQ.to_Q x) with
                          | Some q => Some (BigQ.of_Q q) | None => None end
              | None => None end
  | Abs a => match evalB env a with Some x => Some (bmax x (BigQ.opp x)) | None => None end
  | Min a b => match evalB env a, evalB env b with
               | Some x, Some y => Some (bmin x y) | _, _ => None end
  | Max a b => match evalB env a, evalB env b with
               | Some x, Some y => Some (bmax x y) | _, _ => None end
  | Floor a => match evalB env a with
               | Some x => Some (BigQ.of_Z (Qfloor (BigQ.to_Q x))) | None => None end
  | Ceil a => match evalB env a with
              | Some x => Some (BigQ.of_Z (Qceiling (BigQ.to_Q x))) | None => None end
  | Sum lo hi b => match evalB env lo, evalB env hi with
                   | Some l, Some h => match bint l, bint h with
                       | Some l, Some h =>
                           sumB (fun z => evalB (BigQ.of_Z z :: env) b) l (count l h)
                       | _, _ => None end
                   | _, _ => None end
  | Prod lo hi b => match evalB env lo, evalB env hi with
                   | Some l, Some h => match bint l, bint h with
                       | Some l, Some h =>
                           prodB (fun z => evalB (BigQ.of_Z z :: env) b) l (count l h)
                       | _, _ => None end
                   | _, _ => None end
  | Rec s t i st => match evalB env s, evalB env t, evalB env i with
                    | Some s, Some t, Some x => match bint s, bint t with
                        | Some s, Some t =>
                            if (t <? s)%Z then None else
                            recB (fun z y => evalB (BigQ.of_Z z :: y :: env) st) s x
                              (Z.to_nat (t - s))
                        | _, _ => None end
                    | _, _, _ => None end
  | Let v b => match evalB env v with Some x => evalB (x :: env) b | None => None end
  end.

Lemma B2R_eq : forall x q, (BigQ.to_Q x == q)%Q -> B2R x = Q2R q.
Proof. intros; apply Qeq_eqR; assumption. Qed.

Lemma B2R_of_Q : forall q, B2R (BigQ.of_Q q) = Q2R q.
Proof. intros; unfold B2R; rewrite BigQ.strong_spec_of_Q; reflexivity. Qed.

Lemma B2R_of_Z : forall z, B2R (BigQ.of_Z z) = IZR z.
Proof.
  intros; unfold B2R, BigQ.of_Z, BigQ.to_Q. rewrite BigZ.spec_of_Z.
  unfold Q2R; simpl; field.
Qed.

Lemma B2R_red : forall x, B2R (BigQ.red x) = B2R x.
Proof. intros; apply B2R_eq, BigQ.spec_red. Qed.

Lemma B2R_opp : forall x, B2R (BigQ.opp x) = - B2R x.
Proof. intros; rewrite (B2R_eq _ _ (BigQ.spec_opp x)), Q2R_opp; reflexivity. Qed.

Lemma B2R_add : forall x y, B2R (BigQ.add x y) = B2R x + B2R y.
Proof. intros; rewrite (B2R_eq _ _ (BigQ.spec_add x y)), Q2R_plus; reflexivity. Qed.

Lemma B2R_sub : forall x y, B2R (BigQ.sub x y) = B2R x - B2R y.
Proof. intros; rewrite (B2R_eq _ _ (BigQ.spec_sub x y)), Q2R_minus; reflexivity. Qed.

Lemma B2R_mul : forall x y, B2R (BigQ.mul x y) = B2R x * B2R y.
Proof. intros; rewrite (B2R_eq _ _ (BigQ.spec_mul x y)), Q2R_mult; reflexivity. Qed.

Lemma B2R_inv : forall x, B2R (BigQ.inv x) = / B2R x.
Proof. intros; rewrite (B2R_eq _ _ (BigQ.spec_inv x)), Q2R_inv'; reflexivity. Qed.

Lemma B2R_nonzero : forall x, BigQ.eq_bool x BigQ.zero = false -> B2R x <> 0.
Proof.
  intros x H. rewrite BigQ.spec_eq_bool in H. intro E0.
  apply (Qeq_bool_neq _ _ H). apply eqR_Qeq. unfold B2R in E0.
  rewrite E0, (Qeq_eqR _ _ BigQ.spec_0). unfold Q2R; simpl; lra.
Qed.

Lemma B2R_zero : forall x, BigQ.eq_bool x BigQ.zero = true -> B2R x = 0.
Proof.
  intros x H. rewrite BigQ.spec_eq_bool in H. apply Qeq_bool_iff in H.
  unfold B2R; rewrite (Qeq_eqR _ _ H), (Qeq_eqR _ _ BigQ.spec_0). unfold Q2R; simpl; lra.
Qed.

Lemma B2R_div : forall x y, BigQ.eq_bool y BigQ.zero = false ->
  B2R (BigQ.div x y) = B2R x / B2R y.
Proof.
  intros x y _; rewrite (B2R_eq _ _ (BigQ.spec_div x y)).
  unfold Qdiv; rewrite Q2R_mult, Q2R_inv'; reflexivity.
Qed.

Lemma Q2R_pow_pos : forall q p, Q2R (pow_pos Qmult q p) = (Q2R q ^ Pos.to_nat p)%R.
Proof.
  intros q; induction p as [p IH|p IH|]; cbn [pow_pos].
  - rewrite Pos2Nat.inj_xI, !Q2R_mult, IH, <- tech_pow_Rmult.
    replace (2 * Pos.to_nat p)%nat with (Pos.to_nat p + Pos.to_nat p)%nat by lia.
    rewrite pow_add; ring.
  - rewrite Pos2Nat.inj_xO, !Q2R_mult, IH.
    replace (2 * Pos.to_nat p)%nat with (Pos.to_nat p + Pos.to_nat p)%nat by lia.
    rewrite pow_add; ring.
  - simpl; ring.
Qed.

Lemma B2R_power_pos : forall x p, B2R (BigQ.power_pos x p) = (B2R x ^ Pos.to_nat p)%R.
Proof.
  intros; rewrite (B2R_eq _ _ (BigQ.spec_power_pos x p)).
  apply Q2R_pow_pos.
Qed.

Lemma bpow_sound : forall x z r, bpow x z = Some r -> B2R r = powerRZ (B2R x) z.
Proof.
  intros x z r H; destruct z as [|p|p]; cbn [bpow] in H.
  - injection H as <-; simpl; rewrite (B2R_eq _ _ BigQ.spec_1); unfold Q2R; simpl; lra.
  - injection H as <-; cbn [powerRZ]; rewrite B2R_power_pos, B2R_red; reflexivity.
  - destruct (BigQ.eq_bool x BigQ.zero); [discriminate|]. injection H as <-.
    cbn [powerRZ]. rewrite B2R_inv, B2R_power_pos, B2R_red. reflexivity.
Qed.

Lemma bint_sound : forall x z, bint x = Some z -> B2R x = IZR z.
Proof. intros x z H; apply qint_sound, H. Qed.

Lemma bcompare_spec : forall x y,
  match BigQ.compare x y with
  | Datatypes.Eq => B2R x = B2R y
  | Datatypes.Lt => B2R x < B2R y
  | Datatypes.Gt => B2R y < B2R x
  end.
Proof.
  intros x y; rewrite BigQ.spec_compare; unfold B2R.
  destruct (BigQ.to_Q x ?= BigQ.to_Q y)%Q eqn:C.
  - apply Qeq_eqR, Qeq_alt, C.
  - apply Qlt_Rlt, Qlt_alt, C.
  - apply Qlt_Rlt, Qgt_alt, C.
Qed.

Lemma bmin_sound : forall x y, B2R (bmin x y) = Rmin (B2R x) (B2R y).
Proof.
  intros; unfold bmin, Rmin. pose proof (bcompare_spec x y) as C.
  destruct (BigQ.compare x y); destruct (Rle_dec (B2R x) (B2R y)); lra.
Qed.

Lemma bmax_sound : forall x y, B2R (bmax x y) = Rmax (B2R x) (B2R y).
Proof.
  intros; unfold bmax, Rmax. pose proof (bcompare_spec x y) as C.
  destruct (BigQ.compare x y); destruct (Rle_dec (B2R x) (B2R y)); lra.
Qed.

Lemma nth_map_B2R : forall l i x, nth_error l i = Some x -> nth i (map B2R l) 0%R = B2R x.
Proof.
  induction l as [|a l IH]; intros [|i] x H; simpl in *; try discriminate.
  - injection H as <-; reflexivity.
  - apply IH, H.
Qed.

Lemma sumB_sound : forall fb fr, (forall z x, fb z = Some x -> fr z = B2R x) ->
  forall n lo x, sumB fb lo n = Some x -> sumR fr lo n = B2R x.
Proof.
  intros fb fr Hf; induction n as [|n IH]; intros lo x H; cbn [sumB sumR] in *.
  - injection H as <-; rewrite (B2R_eq _ _ BigQ.spec_0); unfold Q2R; simpl; lra.
  - destruct (fb lo) eqn:A; destruct (sumB fb (lo + 1)%Z n) eqn:B; try discriminate.
    injection H as <-. rewrite B2R_add, (Hf _ _ A), (IH _ _ B); reflexivity.
Qed.

Lemma prodB_sound : forall fb fr, (forall z x, fb z = Some x -> fr z = B2R x) ->
  forall n lo x, prodB fb lo n = Some x -> prodR fr lo n = B2R x.
Proof.
  intros fb fr Hf; induction n as [|n IH]; intros lo x H; cbn [prodB prodR] in *.
  - injection H as <-; rewrite (B2R_eq _ _ BigQ.spec_1); unfold Q2R; simpl; lra.
  - destruct (fb lo) eqn:A; destruct (prodB fb (lo + 1)%Z n) eqn:B; try discriminate.
    injection H as <-. rewrite B2R_mul, (Hf _ _ A), (IH _ _ B); reflexivity.
Qed.

Lemma recB_sound : forall fb fr, (forall z x y, fb z x = Some y -> fr z (B2R x) = B2R y) ->
  forall n t x y, recB fb t x n = Some y -> recR fr t (B2R x) n = B2R y.
Proof.
  intros fb fr Hf; induction n as [|n IH]; intros t x y H; cbn [recB recR] in *.
  - injection H as <-; reflexivity.
  - destruct (fb t x) eqn:A; try discriminate. rewrite (Hf _ _ _ A). apply IH, H.
Qed.

(** A value computed by [evalB] is the real value of the expression. *)
Theorem evalB_sound : forall e env x, evalB env e = Some x -> evalR (map B2R env) e = B2R x.
Proof.
  induction e; intros env r H; cbn [evalB evalR] in *; opt_cases;
    repeat match goal with
    | IH : forall env x, evalB env ?e = Some x -> _, E : evalB ?env ?e = Some ?v |- _ =>
        rewrite (IH env v E); clear E
    end;
    try (injection H as <-).
  all: try discriminate.
  - symmetry; apply B2R_of_Q.
  - apply nth_map_B2R, H.
  - rewrite B2R_opp; reflexivity.
  - rewrite B2R_add; reflexivity.
  - rewrite B2R_sub; reflexivity.
  - rewrite B2R_mul; reflexivity.
  - symmetry; apply B2R_div; assumption.
  - symmetry; apply bpow_sound, H.
  - (* 0 ^ z *)
    match goal with Hx : BigQ.eq_bool ?x BigQ.zero = true, Hz : bint ?y = Some ?z |- _ =>
      rewrite (B2R_zero x Hx), (bint_sound y z Hz) end.
    unfold powR. destruct (Rlt_dec 0 0); [lra|]. destruct (Req_EM_T 0 0); [|congruence].
    match goal with Hm : match ?z with Z0 => _ | Zpos _ => _ | Zneg _ => _ end = Some _ |- _ =>
      destruct z as [|p|p]; try discriminate; injection Hm as <- end.
    + destruct (Rlt_dec 0 (IZR 0)); [simpl in *; lra|].
      rewrite (B2R_eq _ _ BigQ.spec_1); unfold Q2R; simpl; lra.
    + destruct (Rlt_dec 0 (IZR (Zpos p))) as [|n0]; [|exfalso; apply n0, IZR_lt; lia].
      rewrite (B2R_eq _ _ BigQ.spec_0); unfold Q2R; simpl; lra.
  - (* nonzero base, integer exponent *)
    rewrite (bpow_sound _ _ _ H).
    match goal with Hz : bint ?y = Some ?z, Hx : BigQ.eq_bool ?x BigQ.zero = false |- _ =>
      rewrite (bint_sound y z Hz); unfold powR;
      destruct (Rlt_dec 0 (B2R x)); [apply Rpower_IZR; auto|];
      destruct (Req_EM_T (B2R x) 0) as [e0|]; [exfalso; apply (B2R_nonzero _ Hx e0)|];
      rewrite Int_part_IZR; reflexivity
    end.
  - (* exp 0 *)
    match goal with Hx : BigQ.eq_bool ?x BigQ.zero = true |- _ => rewrite (B2R_zero x Hx) end.
    rewrite exp_0, (B2R_eq _ _ BigQ.spec_1); unfold Q2R; simpl; lra.
  - (* ln 1 *)
    match goal with Hx : BigQ.eq_bool ?x BigQ.one = true |- _ =>
      rewrite BigQ.spec_eq_bool in Hx; apply Qeq_bool_iff in Hx;
      unfold B2R at 1; rewrite (Qeq_eqR _ _ Hx), (Qeq_eqR _ _ BigQ.spec_1) end.
    rewrite (B2R_eq _ _ BigQ.spec_0); unfold Q2R; simpl. rewrite Rmult_1_l, Rinv_1, ln_1; lra.
  - (* sqrt of a square *)
    rewrite B2R_of_Q. symmetry; apply qsqrt_sound; assumption.
  - rewrite bmax_sound, B2R_opp, Rmax_abs; reflexivity.
  - symmetry; apply bmin_sound.
  - symmetry; apply bmax_sound.
  - (* floor *)
    rewrite B2R_of_Z. unfold B2R at 1. rewrite Int_part_Q2R; reflexivity.
  - (* ceiling *)
    rewrite B2R_of_Z. unfold B2R at 1. rewrite <- Q2R_opp, Int_part_Q2R.
    unfold Qceiling. rewrite opp_IZR; reflexivity.
  - (* Sum *)
    match goal with H1 : bint ?l = Some _, H2 : bint ?h = Some _ |- _ =>
      rewrite (bint_sound _ _ H1), (bint_sound _ _ H2), !Int_part_IZR end.
    apply (sumB_sound (fun z => evalB (BigQ.of_Z z :: env) e3)); [|exact H].
    intros k v Hv. rewrite <- B2R_of_Z. apply (IHe3 (BigQ.of_Z k :: env)), Hv.
  - (* Prod *)
    match goal with H1 : bint ?l = Some _, H2 : bint ?h = Some _ |- _ =>
      rewrite (bint_sound _ _ H1), (bint_sound _ _ H2), !Int_part_IZR end.
    apply (prodB_sound (fun z => evalB (BigQ.of_Z z :: env) e3)); [|exact H].
    intros k v Hv. rewrite <- B2R_of_Z. apply (IHe3 (BigQ.of_Z k :: env)), Hv.
  - (* Rec *)
    match goal with H1 : bint ?l = Some _, H2 : bint ?h = Some _ |- _ =>
      rewrite (bint_sound _ _ H1), (bint_sound _ _ H2), !Int_part_IZR end.
    apply (recB_sound (fun z y => evalB (BigQ.of_Z z :: y :: env) e4)); [|exact H].
    intros k x y Hv. rewrite <- B2R_of_Z. apply (IHe4 (BigQ.of_Z k :: x :: env)), Hv.
  - (* Let *)
    match goal with |- evalR (B2R ?v :: _) _ = _ => apply (IHe2 (v :: env)), H end.
Qed.

Definition relB (r : Rel) (x y : bigQ) : bool :=
  let c := BigQ.compare x y in
  match r with
  | Le => match c with Datatypes.Gt => false | _ => true end
  | Lt => match c with Datatypes.Lt => true | _ => false end
  | Ge => match c with Datatypes.Lt => false | _ => true end
  | Gt => match c with Datatypes.Gt => true | _ => false end
  | Eq => match c with Datatypes.Eq => true | _ => false end
  end.

Lemma relB_iff : forall r x y, relB r x y = true <-> holdsR r (B2R x) (B2R y).
Proof.
  intros r x y; unfold relB, holdsR; pose proof (bcompare_spec x y) as C.
  destruct r; destruct (BigQ.compare x y); split; intro h; try discriminate; try reflexivity;
    try lra.
Qed.

Definition checkB (r : Rel) (lhs rhs : E) (env : list bigQ) : bool :=
  match evalB env lhs, evalB env rhs with Some x, Some y => relB r x y | _, _ => false end.

Lemma checkB_sound : forall r l h env, checkB r l h env = true -> Claim r l h (map B2R env).
Proof.
  unfold checkB, Claim; intros r l h env H.
  destruct (evalB env l) eqn:A; destruct (evalB env h) eqn:B; try discriminate.
  rewrite (evalB_sound _ _ _ A), (evalB_sound _ _ _ B). apply relB_iff, H.
Qed.

(** [check_grid] over [bigQ]: what whole-grid certificates run. *)
Fixpoint check_gridB (ds : list Dom) (c : list bigQ -> bool) (env : list bigQ) : bool :=
  match ds with
  | [] => c env
  | Range lo hi :: ds' =>
      match evalB env lo, evalB env hi with
      | Some l, Some h =>
          let a := Qceiling (BigQ.to_Q l) in
          allZ (fun z => check_gridB ds' c (BigQ.of_Z z :: env)) a
            (count a (Qfloor (BigQ.to_Q h)))
      | _, _ => false
      end
  | Among vs :: ds' =>
      forallb (fun v => match evalB env v with
                        | Some x => check_gridB ds' c (x :: env)
                        | None => false end) vs
  end.

Theorem gridB_sound : forall ds (c : list bigQ -> bool) (P : list R -> Prop),
  (forall env, c env = true -> P (map B2R env)) ->
  forall env, check_gridB ds c env = true -> Forall_grid ds P (map B2R env).
Proof.
  induction ds as [|d ds IH]; intros c P Hc env H; cbn [check_gridB Forall_grid] in *.
  - apply Hc, H.
  - destruct d as [lo hi|vs].
    + destruct (evalB env lo) as [l|] eqn:A; [|discriminate].
      destruct (evalB env hi) as [h|] eqn:B; [|discriminate].
      intros z [Hl Hh].
      rewrite (evalB_sound _ _ _ A), <- Q2R_inject in Hl.
      rewrite (evalB_sound _ _ _ B), <- Q2R_inject in Hh.
      apply Rle_Qle in Hl; apply Rle_Qle in Hh.
      pose proof (Qceiling_resp_le _ _ Hl) as Cl; rewrite Qceiling_Z in Cl.
      pose proof (Qfloor_resp_le _ _ Hh) as Ch; rewrite Qfloor_Z in Ch.
      rewrite <- B2R_of_Z. change (B2R (BigQ.of_Z z) :: map B2R env) with (map B2R (BigQ.of_Z z :: env)).
      apply (IH c P Hc).
      apply (allZ_sound _ _ _ H). unfold count. rewrite Z2Nat.id; lia.
    + intros v Hv. rewrite forallb_forall in H. specialize (H v Hv).
      destruct (evalB env v) as [x|] eqn:A; [|discriminate].
      rewrite (evalB_sound _ _ _ A). change (B2R x :: map B2R env) with (map B2R (x :: env)).
      apply (IH c P Hc), H.
Qed.

(** The form certificates use: the fixed leading parameters given as [Q] literals. *)
Theorem gridB_soundQ : forall ds (c : list bigQ -> bool) (P : list R -> Prop),
  (forall env, c env = true -> P (map B2R env)) ->
  forall env, check_gridB ds c (map BigQ.of_Q env) = true -> Forall_grid ds P (map Q2R env).
Proof.
  intros ds c P Hc env H.
  replace (map Q2R env) with (map B2R (map BigQ.of_Q env)).
  - apply (gridB_sound ds c P Hc), H.
  - rewrite map_map. apply map_ext. intros; apply B2R_of_Q.
Qed.

(** ** Turning relations into goals [interval] proves *)

Lemma le_by : forall x y, x - y <= 0 -> x <= y. Proof. intros; lra. Qed.
Lemma lt_by : forall x y, x - y < 0 -> x < y. Proof. intros; lra. Qed.
Lemma ge_by : forall x y, y - x <= 0 -> x >= y. Proof. intros; lra. Qed.
Lemma gt_by : forall x y, y - x < 0 -> x > y. Proof. intros; lra. Qed.
Lemma not_le_by : forall x y, y - x < 0 -> ~ x <= y. Proof. intros; lra. Qed.
Lemma not_lt_by : forall x y, y - x <= 0 -> ~ x < y. Proof. intros; lra. Qed.
Lemma not_ge_by : forall x y, x - y < 0 -> ~ x >= y. Proof. intros; lra. Qed.
Lemma not_gt_by : forall x y, x - y <= 0 -> ~ x > y. Proof. intros; lra. Qed.
Lemma not_eq_by : forall x y, 0 < Rabs (x - y) -> ~ x = y.
Proof. intros x y H E; rewrite E, Rminus_eq_0, Rabs_R0 in H; lra. Qed.

Lemma powR_pos : forall x y, 0 < x -> powR x y = Rpower x y.
Proof. intros x y H; unfold powR; destruct (Rlt_dec 0 x); [reflexivity | lra]. Qed.

Lemma Q2R_lit : forall n d, Q2R (Qmake n d) = IZR n / IZR (Zpos d).
Proof. reflexivity. Qed.

(** ** Bounds at rational points where some values are irrational

    A grid whose values include rational powers such as T^(1/10) gets one reflective theorem
    too: [evalI] encloses each side between two rationals ([evalB] where the value is
    rational; sums, differences, products and quotients of non-negative enclosures;
    [rpow_bounds] for a rational power of a positive rational, to [k] bits, from an integer
    root that is checked, not trusted; definitions bound by [Let] to rational values), and
    [checkI] compares the enclosures. *)

Open Scope Z_scope.
(** The integer q-th root of [m] (the largest r with r^q <= m) by Newton's iteration from
    above, in machine-word integers (Bignums' [BigZ]); nothing depends on its correctness:
    [rpow_bounds] checks the result in [Z]. *)
Fixpoint newton (m q x : BigZ.t) (fuel : nat) : BigZ.t :=
  match fuel with
  | O => x
  | S f => let y := BigZ.div (BigZ.add (BigZ.mul (BigZ.sub q BigZ.one) x)
                                       (BigZ.div m (BigZ.pow x (BigZ.sub q BigZ.one)))) q in
           if BigZ.ltb y x then newton m q y f else x
  end.
Definition zroot (m : Z) (q : positive) : Z :=
  BigZ.to_Z (newton (BigZ.of_Z m) (BigZ.of_Z (Zpos q))
               (BigZ.of_Z (2 ^ (Z.log2 m / Zpos q + 1))) 200).
Close Scope Z_scope.

Open Scope Q_scope.
(** Bounds of x^(p/q) for x > 0 and p > 0 (reduced), to k bits: [r / (2^k d), (r + 1) / (2^k d)]
    with r the integer q-th root of n^p d^(q p - p) 2^(k q) (x = n/d); both are checked. *)
Definition rpow_bounds (k : nat) (x y : Q) : option (Q * Q) :=
  let x := Qred x in let y := Qred y in
  let n := Qnum x in let d := Zpos (Qden x) in
  let p := Qnum y in let q := Qden y in
  if (0 <? n)%Z && (0 <? p)%Z then
    let s := (2 ^ Z.of_nat k)%Z in
    let m := (n ^ p * d ^ (p * (Zpos q - 1)) * s ^ Zpos q)%Z in
    let r := zroot m q in
    if (0 <=? r)%Z && (r ^ Zpos q <=? m)%Z && (m <=? (r + 1) ^ Zpos q)%Z then
      Some (r # Z.to_pos (s * d ^ p), (r + 1) # Z.to_pos (s * d ^ p))
    else None
  else None.
Close Scope Q_scope.

Open Scope R_scope.
Lemma pow_lt_strict : forall (a b : R) (m : nat), 0 <= b < a -> (0 < m)%nat -> b ^ m < a ^ m.
Proof.
  intros a b m H Hm. induction m as [|m IH]; [lia|].
  destruct m as [|m]; [simpl; lra|].
  assert (IH' : b ^ S m < a ^ S m) by (apply IH; lia).
  assert (0 <= b ^ S m) by (apply pow_le; lra).
  change (b * b ^ S m < a * a ^ S m). nra.
Qed.

Lemma pow_le_inv : forall (a b : R) (m : nat), 0 <= a -> 0 <= b -> (m <> 0)%nat -> a ^ m <= b ^ m -> a <= b.
Proof.
  intros a b m Ha Hb Hm H. destruct (Rle_lt_dec a b) as [|Hl]; [assumption|].
  exfalso. assert (b ^ m < a ^ m) by (apply pow_lt_strict; [lra|lia]). lra.
Qed.

Lemma Rpower_pow_q : forall (x : R) (p q : Z), 0 < x -> (0 < p)%Z -> (0 < q)%Z ->
  Rpower x (IZR p / IZR q) ^ Z.to_nat q = x ^ Z.to_nat p.
Proof.
  intros x p q Hx Hp Hq.
  rewrite <- Rpower_pow by (apply exp_pos).
  rewrite Rpower_mult, <- Rpower_pow by exact Hx.
  f_equal. rewrite !INR_IZR_INZ, !Z2Nat.id by lia. field. apply not_0_IZR; lia.
Qed.

Lemma root_bounds_real : forall (n d p q r s : Z),
  (0 < n)%Z -> (0 < d)%Z -> (0 < p)%Z -> (0 < q)%Z -> (0 < s)%Z -> (0 <= r)%Z ->
  (r ^ q <= n ^ p * d ^ (p * (q - 1)) * s ^ q <= (r + 1) ^ q)%Z ->
  IZR r / IZR (s * d ^ p) <= Rpower (IZR n / IZR d) (IZR p / IZR q) <= IZR (r + 1) / IZR (s * d ^ p).
Proof.
  intros n d p q r s Hn Hd Hp Hq Hs Hr [Hlo Hhi].
  set (R0 := Rpower (IZR n / IZR d) (IZR p / IZR q)).
  assert (HX : 0 < IZR n / IZR d) by (apply Rdiv_lt_0_compat; apply IZR_lt; lia).
  assert (HR : 0 < R0) by apply exp_pos.
  assert (HRq : R0 ^ Z.to_nat q = (IZR n / IZR d) ^ Z.to_nat p) by (apply Rpower_pow_q; lia || exact HX).
  assert (HS : (0 < s * d ^ p)%Z) by (apply Z.mul_pos_pos; [lia|apply Z.pow_pos_nonneg; lia]).
  assert (Hq0 : (Z.to_nat q <> 0)%nat) by lia.
  set (P := Z.to_nat p). set (Qn := Z.to_nat q).
  assert (Ep : p = Z.of_nat P) by (unfold P; rewrite Z2Nat.id; lia).
  assert (Eq : q = Z.of_nat Qn) by (unfold Qn; rewrite Z2Nat.id; lia).
  assert (Epq : (p * (q - 1))%Z = Z.of_nat (P * (Qn - 1))) by (rewrite Nat2Z.inj_mul, Nat2Z.inj_sub, <- Ep, <- Eq; simpl; lia).
  assert (HdR : IZR d <> 0) by (apply not_0_IZR; lia).
  assert (HSR : 0 < IZR (s * d ^ p)) by (apply IZR_lt; exact HS).
  (* X^P * S^Q = m *)
  assert (E1 : (IZR n / IZR d) ^ P * IZR (s * d ^ p) ^ Qn = IZR (n ^ p * d ^ (p * (q - 1)) * s ^ q)).
  { rewrite Epq, Ep, Eq. rewrite !mult_IZR, <- !pow_IZR.
    rewrite Rpow_mult_distr, <- pow_mult.
    replace (P * Qn)%nat with (P + P * (Qn - 1))%nat by (destruct Qn; [lia|nia]).
    rewrite pow_add. unfold Rdiv. rewrite Rpow_mult_distr, pow_inv.
    field. apply pow_nonzero, HdR. }
  assert (HSQ : 0 < IZR (s * d ^ p) ^ Qn) by (apply pow_lt, HSR).
  assert (Hbound : forall t : Z, (0 <= t)%Z ->
     (IZR t / IZR (s * d ^ p)) ^ Qn = IZR (t ^ q) / IZR (s * d ^ p) ^ Qn).
  { intros t Ht. rewrite Eq, <- pow_IZR. unfold Rdiv. rewrite Rpow_mult_distr, pow_inv. reflexivity. }
  split.
  - apply (pow_le_inv _ _ Qn); [unfold Rdiv; apply Rmult_le_pos; [apply IZR_le; lia | apply Rlt_le, Rinv_0_lt_compat, HSR] | lra | lia |].
    unfold R0 in HRq |- *. fold Qn P in HRq. rewrite HRq, Hbound by lia.
    apply (Rmult_le_reg_r (IZR (s * d ^ p) ^ Qn)); [exact HSQ|].
    rewrite E1. unfold Rdiv. rewrite Rmult_assoc, Rinv_l, Rmult_1_r by lra.
    apply IZR_le, Hlo.
  - apply (pow_le_inv _ _ Qn); [lra | unfold Rdiv; apply Rmult_le_pos; [apply IZR_le; lia | apply Rlt_le, Rinv_0_lt_compat, HSR] | lia |].
    unfold R0 in HRq |- *. fold Qn P in HRq. rewrite HRq, Hbound by lia.
    apply (Rmult_le_reg_r (IZR (s * d ^ p) ^ Qn)); [exact HSQ|].
    rewrite E1. unfold Rdiv. rewrite Rmult_assoc, Rinv_l, Rmult_1_r by lra.
    apply IZR_le, Hhi.
Qed.

Lemma rpow_bounds_sound : forall k x y l h, rpow_bounds k x y = Some (l, h) ->
  Q2R l <= Rpower (Q2R x) (Q2R y) <= Q2R h.
Proof.
  intros k x y l h H. unfold rpow_bounds in H. cbv zeta in H.
  rewrite <- (Q2R_red x), <- (Q2R_red y). unfold qred.
  destruct (Qred x) as [n d]; destruct (Qred y) as [p q]; cbn [Qnum Qden] in H |- *.
  match type of H with context [if ?c then _ else _] => destruct c eqn:B1; [|discriminate] end.
  match type of H with context [if ?c then _ else _] => destruct c eqn:B2; [|discriminate] end.
  injection H as <- <-.
  apply andb_true_iff in B1 as [Hn Hp]. apply Z.ltb_lt in Hn, Hp.
  apply andb_true_iff in B2 as [B2 Hhi]. apply andb_true_iff in B2 as [Hr Hlo].
  apply Z.leb_le in Hr, Hlo, Hhi.
  assert (HS : (0 < 2 ^ Z.of_nat k * Z.pos d ^ p)%Z)
    by (apply Z.mul_pos_pos; apply Z.pow_pos_nonneg; lia).
  unfold Q2R; cbn [Qnum Qden]. rewrite !Z2Pos.id by exact HS.
  apply (root_bounds_real n (Zpos d) p (Zpos q) _ (2 ^ Z.of_nat k));
    first [assumption | lia | apply Z.pow_pos_nonneg; lia | split; assumption].
Qed.

Close Scope R_scope.
Open Scope Q_scope.
(** Bounds of an expression at a rational point where some values are irrational: [evalQ]
    where it has a value, interval arithmetic on sums, differences, products and quotients of
    non-negative bounds, and [rpow_bounds] for a rational power of a positive rational. *)
Fixpoint evalI (k : nat) (env : list Q) (e : E) : option (Q * Q) :=
  match evalB (map BigQ.of_Q env) e with
  | Some b => let q := BigQ.to_Q b in Some (q, q)
  | None =>
    match e with
    | Neg a => match evalI k env a with Some (l, h) => Some (- h, - l) | None => None end
    | Add a b => match evalI k env a, evalI k env b with
                 | Some (l1, h1), Some (l2, h2) => Some (l1 + l2, h1 + h2)
                 | _, _ => None end
    | Sub a b => match evalI k env a, evalI k env b with
                 | Some (l1, h1), Some (l2, h2) => Some (l1 - h2, h1 - l2)
                 | _, _ => None end
    | Mul a b => match evalI k env a, evalI k env b with
                 | Some (l1, h1), Some (l2, h2) =>
                     if Qle_bool 0 l1 && Qle_bool 0 l2 then Some (l1 * l2, h1 * h2)
                     else None
                 | _, _ => None end
    | Div a b => match evalI k env a, evalI k env b with
                 | Some (l1, h1), Some (l2, h2) =>
                     if Qle_bool 0 l1 && negb (Qle_bool l2 0)
                     then Some (l1 / h2, h1 / l2) else None
                 | _, _ => None end
    | Pow a b => match evalB (map BigQ.of_Q env) a, evalB (map BigQ.of_Q env) b with
                 | Some x, Some y => rpow_bounds k (BigQ.to_Q x) (BigQ.to_Q y)
                 | _, _ => None end
    | Let v b => match evalB (map BigQ.of_Q env) v with
                 | Some x => evalI k (BigQ.to_Q x :: env) b
                 | None => None end
    | _ => None
    end
  end.
Close Scope Q_scope.
Open Scope R_scope.

Lemma Q2R_0 : Q2R 0 = 0.
Proof. unfold Q2R; simpl; lra. Qed.

Lemma map_B2R_of_Q : forall env, map B2R (map BigQ.of_Q env) = map Q2R env.
Proof. intros; rewrite map_map; apply map_ext; intros; apply B2R_of_Q. Qed.

Theorem evalI_sound : forall k e env l h, evalI k env e = Some (l, h) ->
  Q2R l <= evalR (map Q2R env) e <= Q2R h.
Proof.
  intros k e; induction e; intros env l h H; cbn [evalI] in H;
    destruct (evalB (map BigQ.of_Q env) _) as [v|] eqn:EQ;
    try (injection H as <- <-; apply evalB_sound in EQ; rewrite map_B2R_of_Q in EQ;
         rewrite EQ; unfold B2R; lra);
    cbn [evalR]; try discriminate.
  - (* Neg *)
    destruct (evalI k env e) as [[l1 h1]|] eqn:A; [|discriminate]. injection H as <- <-.
    apply IHe in A. rewrite !Q2R_opp. lra.
  - (* Add *)
    destruct (evalI k env e1) as [[l1 h1]|] eqn:A; [|discriminate].
    destruct (evalI k env e2) as [[l2 h2]|] eqn:B; [|discriminate]. injection H as <- <-.
    apply IHe1 in A; apply IHe2 in B. rewrite !Q2R_plus. lra.
  - (* Sub *)
    destruct (evalI k env e1) as [[l1 h1]|] eqn:A; [|discriminate].
    destruct (evalI k env e2) as [[l2 h2]|] eqn:B; [|discriminate]. injection H as <- <-.
    apply IHe1 in A; apply IHe2 in B. rewrite !Q2R_minus. lra.
  - (* Mul *)
    destruct (evalI k env e1) as [[l1 h1]|] eqn:A; [|discriminate].
    destruct (evalI k env e2) as [[l2 h2]|] eqn:B; [|discriminate].
    destruct (Qle_bool 0 l1 && Qle_bool 0 l2)%Q eqn:S; [|discriminate]. injection H as <- <-.
    apply andb_true_iff in S as [S1 S2]. apply Qle_bool_iff, Qle_Rle in S1, S2.
    rewrite Q2R_0 in S1, S2.
    apply IHe1 in A; apply IHe2 in B. rewrite !Q2R_mult.
    split; apply Rmult_le_compat; lra.
  - (* Div *)
    destruct (evalI k env e1) as [[l1 h1]|] eqn:A; [|discriminate].
    destruct (evalI k env e2) as [[l2 h2]|] eqn:B; [|discriminate].
    destruct (Qle_bool 0 l1 && negb (Qle_bool l2 0))%Q eqn:S; [|discriminate].
    injection H as <- <-.
    apply andb_true_iff in S as [S1 S2]. apply Qle_bool_iff, Qle_Rle in S1.
    apply negb_true_iff in S2.
    assert (S2' : 0 < Q2R l2).
    { apply Rnot_le_lt; intro c. rewrite <- Q2R_0 in c. apply Rle_Qle, Qle_bool_iff in c. congruence. }
    rewrite Q2R_0 in S1.
    apply IHe1 in A; apply IHe2 in B.
    assert (Hl2 : ~ (l2 == 0)%Q) by (intro z; apply Qeq_eqR in z; rewrite Q2R_0 in z; lra).
    assert (Hh2 : ~ (h2 == 0)%Q) by (intro z; apply Qeq_eqR in z; rewrite Q2R_0 in z; lra).
    rewrite !Q2R_div by assumption. unfold Rdiv.
    split.
    + apply Rmult_le_compat; try lra.
      * apply Rlt_le, Rinv_0_lt_compat; lra.
      * apply Rinv_le_contravar; lra.
    + apply Rmult_le_compat; try lra.
      * apply Rlt_le, Rinv_0_lt_compat; lra.
      * apply Rinv_le_contravar; lra.
  - (* Pow *)
    destruct (evalB (map BigQ.of_Q env) e1) as [bx|] eqn:A; [|discriminate].
    destruct (evalB (map BigQ.of_Q env) e2) as [by_|] eqn:B; [|discriminate].
    apply evalB_sound in A; apply evalB_sound in B. rewrite map_B2R_of_Q in A, B.
    rewrite A, B. unfold B2R.
    set (x := BigQ.to_Q bx) in *. set (y := BigQ.to_Q by_) in *.
    pose proof (rpow_bounds_sound _ _ _ _ _ H) as R.
    rewrite powR_pos; [exact R|].
    unfold rpow_bounds in H. cbv zeta in H.
    rewrite <- (Q2R_red x). unfold qred. destruct (Qred x) as [n d]. cbn [Qnum Qden] in H.
    match type of H with context [if ?c then _ else _] => destruct c eqn:B1; [|discriminate] end.
    apply andb_true_iff in B1 as [Hn _]. apply Z.ltb_lt in Hn.
    unfold Q2R; cbn [Qnum Qden].
    apply Rmult_lt_0_compat; [apply IZR_lt; lia | apply Rinv_0_lt_compat, IZR_lt; lia].
  - (* Let *)
    destruct (evalB (map BigQ.of_Q env) e1) as [bx|] eqn:A; [|discriminate].
    apply evalB_sound in A. rewrite map_B2R_of_Q in A. rewrite A.
    apply (IHe2 (BigQ.to_Q bx :: env)), H.
Qed.

Definition checkI (k : nat) (r : Rel) (lhs rhs : E) (env : list Q) : bool :=
  match evalI k env lhs, evalI k env rhs with
  | Some (l1, h1), Some (l2, h2) =>
      match r with
      | Le => Qle_bool h1 l2
      | Lt => negb (Qle_bool l2 h1)
      | Ge => Qle_bool h2 l1
      | Gt => negb (Qle_bool l1 h2)
      | Eq => false
      end
  | _, _ => false
  end.

Lemma checkI_sound : forall k r lhs rhs env, checkI k r lhs rhs env = true ->
  Claim r lhs rhs (map Q2R env).
Proof.
  intros k r lhs rhs env H. unfold checkI, Claim, holdsR in *.
  destruct (evalI k env lhs) as [[l1 h1]|] eqn:A; [|discriminate].
  destruct (evalI k env rhs) as [[l2 h2]|] eqn:B; [|discriminate].
  apply evalI_sound in A; apply evalI_sound in B.
  destruct r.
  - apply Qle_bool_iff, Qle_Rle in H. lra.
  - apply negb_true_iff in H.
    assert (Q2R h1 < Q2R l2) by (apply Rnot_le_lt; intro c; apply Rle_Qle, Qle_bool_iff in c; congruence).
    lra.
  - apply Qle_bool_iff, Qle_Rle in H. lra.
  - apply negb_true_iff in H.
    assert (Q2R h2 < Q2R l1) by (apply Rnot_le_lt; intro c; apply Rle_Qle, Qle_bool_iff in c; congruence).
    lra.
  - discriminate.
Qed.

(** ** Real parameters and transcendental values: interval evaluation proved sound once

    [evalJ] computes [evalR] on values that are exact ([Ex], a machine-word rational, by the
    rules of [evalB]) or enclosed ([Iv], an interval of Coq Interval's floating-point
    intervals at precision [prec], rounded outward, with its verified [exp], [ln], [sqrt]
    and integer powers). An operation whose operands are exact stays exact where [evalB]
    has a value; elsewhere it runs on enclosures (an exact operand enters as an enclosure of
    its value). Bounds of sums, products and recurrences must be exact integers. A real
    parameter enters as the enclosure of an interval; [bisectJ] halves the interval until
    [checkJ] separates the two sides on every piece, up to a given depth. [evalJ_sound] and
    [check_real_sound] link it to the reals once; certificates run it with [vm_compute]. *)

From Interval Require Import Float.Specific_ops Float.Specific_bigint Interval.Float_full.
From Interval Require Import Interval.Interval Real.Xreal.

Module JF := SpecificFloat BigIntRadix2.
Module JI := FloatIntervalFull JF.


(** A value: exact (a machine-word rational) or enclosed in an interval. *)
Inductive V := Ex (q : bigQ) | Iv (i : JI.type).

Definition vrel (v : V) (x : R) : Prop :=
  match v with Ex q => B2R q = x | Iv i => contains (JI.convert i) (Xreal x) end.

Lemma contains_nan : forall i y, contains i Xnan -> contains i (Xreal y).
Proof. intros [|l u] y H; [exact I | destruct H]. Qed.

Lemma contains_or : forall i v y, contains i v -> v = Xnan \/ v = Xreal y -> contains i (Xreal y).
Proof. intros i v y H [-> | ->]; [apply contains_nan, H | exact H]. Qed.

Lemma contains_between : forall i a b x, contains i (Xreal a) -> contains i (Xreal b) ->
  a <= x <= b -> contains i (Xreal x).
Proof.
  intros [|l u] a b x Ha Hb Hx; [exact I|]. cbn in *.
  destruct l, u; intuition lra.
Qed.

Section J.
Variable prec : JI.precision.

Definition ofQ (q : Q) : JI.type :=
  JI.div prec (JI.fromZ prec (Qnum q)) (JI.fromZ prec (Zpos (Qden q))).

Lemma ofQ_sound : forall q, contains (JI.convert (ofQ q)) (Xreal (Q2R q)).
Proof.
  intros [n d]. unfold ofQ, Q2R; cbn [Qnum Qden].
  apply (contains_or _ _ _ (JI.div_correct prec _ _ _ _ (JI.fromZ_correct prec n) (JI.fromZ_correct prec (Zpos d)))).
  right. cbn [Xbind2]. unfold Xdiv'. rewrite is_zero_false; [reflexivity|].
  apply not_0_IZR; lia.
Qed.

Definition toI (v : V) : JI.type := match v with Ex q => ofQ (BigQ.to_Q q) | Iv i => i end.

Lemma toI_sound : forall v x, vrel v x -> contains (JI.convert (toI v)) (Xreal x).
Proof. intros [q|i] x H; cbn [toI vrel] in *; [rewrite <- H; apply ofQ_sound | exact H]. Qed.

(** An operation on values: exact by [evalB] where both operands are exact and [evalB] has
    a value, else on their enclosures. *)
Definition un (mk : E -> E) (fi : JI.type -> JI.type) (a : V) : V :=
  match a with
  | Ex x => match evalB [x] (mk (Var 0)) with Some y => Ex y | None => Iv (fi (toI a)) end
  | Iv i => Iv (fi i)
  end.

Definition bin (mk : E -> E -> E) (fi : JI.type -> JI.type -> JI.type) (a b : V) : V :=
  match a, b with
  | Ex x, Ex y => match evalB [y; x] (mk (Var 1) (Var 0)) with
                  | Some z => Ex z | None => Iv (fi (toI a) (toI b)) end
  | _, _ => Iv (fi (toI a) (toI b))
  end.

Definition Ext1 (fi : JI.type -> JI.type) (g : R -> R) : Prop :=
  forall i y, contains (JI.convert i) (Xreal y) -> contains (JI.convert (fi i)) (Xreal (g y)).
Definition Ext2 (fi : JI.type -> JI.type -> JI.type) (g : R -> R -> R) : Prop :=
  forall i j x y, contains (JI.convert i) (Xreal x) -> contains (JI.convert j) (Xreal y) ->
    contains (JI.convert (fi i j)) (Xreal (g x y)).

Lemma un_sound : forall mk fi g, (forall y, evalR [y] (mk (Var 0)) = g y) -> Ext1 fi g ->
  forall a x, vrel a x -> vrel (un mk fi a) (g x).
Proof.
  intros mk fi g Hg Hf [q|i] x H; cbn [un].
  - destruct (evalB [q] (mk (Var 0))) as [y|] eqn:A.
    + apply evalB_sound in A. cbn [map vrel] in *. rewrite <- H, <- Hg, A. reflexivity.
    + apply Hf, (toI_sound (Ex q)), H.
  - apply Hf, H.
Qed.

Lemma bin_sound : forall mk fi g, (forall x y, evalR [y; x] (mk (Var 1) (Var 0)) = g x y) ->
  Ext2 fi g -> forall a b x y, vrel a x -> vrel b y -> vrel (bin mk fi a b) (g x y).
Proof.
  intros mk fi g Hg Hf a b x y Ha Hb.
  assert (D : vrel (Iv (fi (toI a) (toI b))) (g x y)) by (apply Hf; apply toI_sound; assumption).
  destruct a as [p|i], b as [q|j]; cbn [bin]; try exact D.
  destruct (evalB [q; p] (mk (Var 1) (Var 0))) as [z|] eqn:A; [|exact D].
  apply evalB_sound in A. cbn [map vrel] in *. rewrite <- Ha, <- Hb, <- Hg, A. reflexivity.
Qed.

Lemma ext_neg : Ext1 JI.neg Ropp.
Proof. intros i y H. exact (JI.neg_correct i (Xreal y) H). Qed.
Lemma ext_add : Ext2 (JI.add prec) Rplus.
Proof. intros i j x y H1 H2. exact (JI.add_correct prec i j (Xreal x) (Xreal y) H1 H2). Qed.
Lemma ext_sub : Ext2 (JI.sub prec) Rminus.
Proof. intros i j x y H1 H2. exact (JI.sub_correct prec i j (Xreal x) (Xreal y) H1 H2). Qed.
Lemma ext_mul : Ext2 (JI.mul prec) Rmult.
Proof. intros i j x y H1 H2. exact (JI.mul_correct prec i j (Xreal x) (Xreal y) H1 H2). Qed.
Lemma ext_div : Ext2 (JI.div prec) Rdiv.
Proof.
  intros i j x y H1 H2. apply (contains_or _ _ _ (JI.div_correct prec i j (Xreal x) (Xreal y) H1 H2)).
  cbn [Xbind2]. unfold Xdiv'. destruct (is_zero y); auto.
Qed.
Lemma ext_exp : Ext1 (JI.exp prec) exp.
Proof. intros i y H. exact (JI.exp_correct prec i (Xreal y) H). Qed.
Lemma ext_ln : Ext1 (JI.ln prec) ln.
Proof.
  intros i y H. apply (contains_or _ _ _ (JI.ln_correct prec i (Xreal y) H)).
  cbn [Xbind]. unfold Xln'. destruct (is_positive y); auto.
Qed.
Lemma ext_sqrt : Ext1 (JI.sqrt prec) sqrt.
Proof. intros i y H. exact (JI.sqrt_correct prec i (Xreal y) H). Qed.
Lemma ext_abs : Ext1 JI.abs Rabs.
Proof. intros i y H. exact (JI.abs_correct i (Xreal y) H). Qed.
Lemma ext_powz : forall z, Ext1 (fun i => JI.power_int prec i z) (fun y => powerRZ y z).
Proof.
  intros z i y H. apply (contains_or _ _ _ (JI.power_int_correct prec z i (Xreal y) H)).
  cbn [Xpower_int Xbind]. unfold Xpower_int'. destruct z as [|p|p]; auto. destruct (is_zero y); auto.
Qed.
Lemma ext_nai1 : forall g, Ext1 (fun _ => JI.nai) g.
Proof. intros g i y _. rewrite JI.nai_correct. exact I. Qed.
Lemma ext_join : forall g, (forall x y, g x y = x \/ g x y = y) -> Ext2 JI.join g.
Proof.
  intros g Hg i j x y H1 H2. apply JI.join_correct. destruct (Hg x y) as [-> | ->]; auto.
Qed.

Definition powJ (xi yi : JI.type) : JI.type :=
  match JI.sign_strict xi with
  | Xgt => JI.exp prec (JI.mul prec yi (JI.ln prec xi))
  | _ => JI.nai
  end.
Lemma ext_pow : Ext2 powJ powR.
Proof.
  intros i j x y H1 H2. unfold powJ. pose proof (JI.sign_strict_correct i) as S.
  destruct (JI.sign_strict i); try (rewrite JI.nai_correct; exact I).
  destruct (S _ H1) as [_ P]. cbn [proj_val] in P.
  rewrite powR_pos by exact P. unfold Rpower.
  apply ext_exp, ext_mul; [exact H2|].
  apply (contains_or _ _ _ (JI.ln_correct prec i (Xreal x) H1)). right. cbn [Xbind].
  unfold Xln'. rewrite is_positive_true by exact P. reflexivity.
Qed.

Fixpoint sumJ (f : Z -> V) (lo : Z) (n : nat) : V :=
  match n with O => Ex BigQ.zero | S k => bin Add (JI.add prec) (f lo) (sumJ f (lo + 1)%Z k) end.
Fixpoint prodJ (f : Z -> V) (lo : Z) (n : nat) : V :=
  match n with O => Ex BigQ.one | S k => bin Mul (JI.mul prec) (f lo) (prodJ f (lo + 1)%Z k) end.
Fixpoint recJ (f : Z -> V -> V) (t : Z) (x : V) (n : nat) : V :=
  match n with O => x | S k => recJ f (t + 1)%Z (f t x) k end.

Definition intV (v : V) : option Z := match v with Ex q => bint q | Iv _ => None end.

(** [evalR] on values: exact where it can be, enclosed elsewhere. Bounds of sums, products
    and recurrences must be exact integers (else the result is the whole line). *)
Fixpoint evalJ (env : list V) (e : E) : V :=
  match e with
  | Cst q => Ex (BigQ.of_Q q)
  | Var i => nth i env (Ex BigQ.zero)
  | Neg a => un Neg JI.neg (evalJ env a)
  | Add a b => bin Add (JI.add prec) (evalJ env a) (evalJ env b)
  | Sub a b => bin Sub (JI.sub prec) (evalJ env a) (evalJ env b)
  | Mul a b => bin Mul (JI.mul prec) (evalJ env a) (evalJ env b)
  | Div a b => bin Div (JI.div prec) (evalJ env a) (evalJ env b)
  | PowZ a z => un (fun x => PowZ x z) (fun i => JI.power_int prec i z) (evalJ env a)
  | Pow a b => bin Pow powJ (evalJ env a) (evalJ env b)
  | Exp a => un Exp (JI.exp prec) (evalJ env a)
  | Ln a => un Ln (JI.ln prec) (evalJ env a)
  | Sqrt a => un Sqrt (JI.sqrt prec) (evalJ env a)
  | Abs a => un Abs JI.abs (evalJ env a)
  | Min a b => bin Min JI.join (evalJ env a) (evalJ env b)
  | Max a b => bin Max JI.join (evalJ env a) (evalJ env b)
  | Floor a => un Floor (fun _ => JI.nai) (evalJ env a)
  | Ceil a => un Ceil (fun _ => JI.nai) (evalJ env a)
  | Sum lo hi b =>
      match intV (evalJ env lo), intV (evalJ env hi) with
      | Some l, Some h => sumJ (fun z => evalJ (Ex (BigQ.of_Z z) :: env) b) l (count l h)
      | _, _ => Iv JI.nai end
  | Prod lo hi b =>
      match intV (evalJ env lo), intV (evalJ env hi) with
      | Some l, Some h => prodJ (fun z => evalJ (Ex (BigQ.of_Z z) :: env) b) l (count l h)
      | _, _ => Iv JI.nai end
  | Rec s t i st =>
      match intV (evalJ env s), intV (evalJ env t) with
      | Some a, Some b =>
          recJ (fun z x => evalJ (Ex (BigQ.of_Z z) :: x :: env) st) a (evalJ env i)
            (Z.to_nat (b - a))
      | _, _ => Iv JI.nai end
  | Let v b => evalJ (evalJ env v :: env) b
  end.

Lemma intV_sound : forall v x z, vrel v x -> intV v = Some z -> Int_part x = z /\ x = IZR z.
Proof.
  intros [q|i] x z H E; [|discriminate]. cbn [vrel intV] in *. apply bint_sound in E.
  rewrite <- H, E. split; [apply Int_part_IZR | reflexivity].
Qed.

Lemma B2R_0 : B2R BigQ.zero = 0.
Proof. apply B2R_zero; reflexivity. Qed.
Lemma B2R_1 : B2R BigQ.one = 1.
Proof. unfold B2R. apply Q2R_is_one. reflexivity. Qed.

Lemma vrel_nai : forall x, vrel (Iv JI.nai) x.
Proof. intros x; cbn [vrel]; rewrite JI.nai_correct; exact I. Qed.

Lemma vrel_Z : forall z, vrel (Ex (BigQ.of_Z z)) (IZR z).
Proof. intros z; cbn [vrel]; apply B2R_of_Z. Qed.

Lemma nth_vrel : forall env envR i, Forall2 vrel env envR ->
  vrel (nth i env (Ex BigQ.zero)) (nth i envR 0).
Proof.
  intros env envR i H; revert i; induction H as [|v x env envR Hv H IH]; intros [|i]; cbn [nth vrel]; auto.
  - apply B2R_0.
  - apply B2R_0.
Qed.

Theorem evalJ_sound : forall e env envR, Forall2 vrel env envR -> vrel (evalJ env e) (evalR envR e).
Proof.
  induction e; intros env envR H; cbn [evalJ evalR].
  - cbn [vrel]. apply B2R_of_Q.
  - apply nth_vrel, H.
  - apply (un_sound Neg JI.neg Ropp); [reflexivity | apply ext_neg | auto].
  - apply (bin_sound Add _ Rplus); [reflexivity | apply ext_add | auto | auto].
  - apply (bin_sound Sub _ Rminus); [reflexivity | apply ext_sub | auto | auto].
  - apply (bin_sound Mul _ Rmult); [reflexivity | apply ext_mul | auto | auto].
  - apply (bin_sound Div _ Rdiv); [reflexivity | apply ext_div | auto | auto].
  - apply (un_sound (fun x => PowZ x z) _ (fun y => powerRZ y z)); [reflexivity | apply ext_powz | auto].
  - apply (bin_sound Pow _ powR); [reflexivity | apply ext_pow | auto | auto].
  - apply (un_sound Exp _ exp); [reflexivity | apply ext_exp | auto].
  - apply (un_sound Ln _ ln); [reflexivity | apply ext_ln | auto].
  - apply (un_sound Sqrt _ sqrt); [reflexivity | apply ext_sqrt | auto].
  - apply (un_sound Abs _ Rabs); [reflexivity | apply ext_abs | auto].
  - apply (bin_sound Min _ Rmin); [reflexivity | apply ext_join | auto | auto].
    intros x y; unfold Rmin; destruct (Rle_dec x y); auto.
  - apply (bin_sound Max _ Rmax); [reflexivity | apply ext_join | auto | auto].
    intros x y; unfold Rmax; destruct (Rle_dec x y); auto.
  - apply (un_sound Floor _ (fun y => IZR (Int_part y))); [reflexivity | apply ext_nai1 | auto].
  - apply (un_sound Ceil _ (fun y => - IZR (Int_part (- y)))); [reflexivity | apply ext_nai1 | auto].
  - destruct (intV (evalJ env e1)) as [l|] eqn:A; [|apply vrel_nai].
    destruct (intV (evalJ env e2)) as [h|] eqn:B; [|apply vrel_nai].
    destruct (intV_sound _ _ _ (IHe1 _ _ H) A) as [-> _].
    destruct (intV_sound _ _ _ (IHe2 _ _ H) B) as [-> _].
    set (n := count l h); clearbody n; clear A B; revert l; induction n as [|n IHn]; intros z; cbn [sumJ sumR].
    + cbn [vrel]. apply B2R_0.
    + apply (bin_sound Add _ Rplus); [reflexivity | apply ext_add | | apply IHn].
      apply IHe3. constructor; [apply vrel_Z | exact H].
  - destruct (intV (evalJ env e1)) as [l|] eqn:A; [|apply vrel_nai].
    destruct (intV (evalJ env e2)) as [h|] eqn:B; [|apply vrel_nai].
    destruct (intV_sound _ _ _ (IHe1 _ _ H) A) as [-> _].
    destruct (intV_sound _ _ _ (IHe2 _ _ H) B) as [-> _].
    set (n := count l h); clearbody n; clear A B; revert l; induction n as [|n IHn]; intros z; cbn [prodJ prodR].
    + cbn [vrel]. apply B2R_1.
    + apply (bin_sound Mul _ Rmult); [reflexivity | apply ext_mul | | apply IHn].
      apply IHe3. constructor; [apply vrel_Z | exact H].
  - destruct (intV (evalJ env e1)) as [a|] eqn:A; [|apply vrel_nai].
    destruct (intV (evalJ env e2)) as [b|] eqn:B; [|apply vrel_nai].
    destruct (intV_sound _ _ _ (IHe1 _ _ H) A) as [-> _].
    destruct (intV_sound _ _ _ (IHe2 _ _ H) B) as [-> _].
    generalize (IHe3 _ _ H). generalize (evalJ env e3) (evalR envR e3).
    set (n := Z.to_nat (b - a)); clearbody n; clear A B; revert a; induction n as [|n IHn]; intros z v x Hx; cbn [recJ recR].
    + exact Hx.
    + apply IHn. apply IHe4. constructor; [apply vrel_Z | constructor; [exact Hx | exact H]].
  - apply IHe2. constructor; [apply IHe1, H | exact H].
Qed.

(** Comparing the two sides: exactly where both are exact, else by the sign of the
    enclosure of their difference. *)
Definition checkJ (r : Rel) (lhs rhs : E) (env : list V) : bool :=
  match evalJ env lhs, evalJ env rhs with
  | Ex x, Ex y => relB r x y
  | a, b =>
      let d := JI.sub prec (toI a) (toI b) in
      match r with
      | Le => match JI.sign_large d with Xlt | Xeq => true | _ => false end
      | Lt => match JI.sign_strict d with Xlt => true | _ => false end
      | Ge => match JI.sign_large d with Xgt | Xeq => true | _ => false end
      | Gt => match JI.sign_strict d with Xgt => true | _ => false end
      | Eq => false
      end
  end.

Lemma checkJ_sound : forall r lhs rhs env envR, Forall2 vrel env envR ->
  checkJ r lhs rhs env = true -> Claim r lhs rhs envR.
Proof.
  intros r lhs rhs env envR H C. unfold checkJ, Claim in *.
  pose proof (evalJ_sound lhs env envR H) as A. pose proof (evalJ_sound rhs env envR H) as B.
  set (x := evalR envR lhs) in *. set (y := evalR envR rhs) in *.
  assert (Hd : forall a b, vrel a x -> vrel b y ->
     contains (JI.convert (JI.sub prec (toI a) (toI b))) (Xreal (x - y))).
  { intros a b Ha Hb. apply ext_sub; apply toI_sound; assumption. }
  assert (G : forall a b, vrel a x -> vrel b y ->
    (let d := JI.sub prec (toI a) (toI b) in
      match r with
      | Le => match JI.sign_large d with Xlt | Xeq => true | _ => false end
      | Lt => match JI.sign_strict d with Xlt => true | _ => false end
      | Ge => match JI.sign_large d with Xgt | Xeq => true | _ => false end
      | Gt => match JI.sign_strict d with Xgt => true | _ => false end
      | Eq => false
      end) = true -> holdsR r x y).
  { intros a b Ha Hb. cbv zeta. specialize (Hd a b Ha Hb).
    pose proof (JI.sign_large_correct (JI.sub prec (toI a) (toI b))) as SL.
    pose proof (JI.sign_strict_correct (JI.sub prec (toI a) (toI b))) as SS.
    destruct r; cbn [holdsR]; intro K.
    - destruct (JI.sign_large _); try discriminate.
      + apply SL in Hd. injection Hd; lra.
      + destruct (SL _ Hd) as [_ P]; cbn [proj_val] in P; lra.
    - destruct (JI.sign_strict _); try discriminate.
      destruct (SS _ Hd) as [_ P]; cbn [proj_val] in P; lra.
    - destruct (JI.sign_large _); try discriminate.
      + apply SL in Hd. injection Hd; lra.
      + destruct (SL _ Hd) as [_ P]; cbn [proj_val] in P; lra.
    - destruct (JI.sign_strict _); try discriminate.
      destruct (SS _ Hd) as [_ P]; cbn [proj_val] in P; lra.
    - discriminate. }
  destruct (evalJ env lhs) as [p|i], (evalJ env rhs) as [q|j]; try (apply (G _ _ A B), C).
  cbn [vrel] in A, B. rewrite <- A, <- B. apply relB_iff, C.
Qed.

(** The hull of two rationals, and adaptive bisection of a real interval: [c] is tried on
    the whole interval, else on its halves, [d] times deep. *)
Definition hullJ (l h : bigQ) : JI.type := JI.join (ofQ (BigQ.to_Q l)) (ofQ (BigQ.to_Q h)).

Lemma hullJ_sound : forall l h x, B2R l <= x <= B2R h -> contains (JI.convert (hullJ l h)) (Xreal x).
Proof.
  intros l h x Hx. apply (contains_between _ (B2R l) (B2R h)); [| |exact Hx];
    apply JI.join_correct; [left|right]; apply ofQ_sound.
Qed.

Fixpoint bisectJ (c : V -> bool) (d : nat) (l h : bigQ) : bool :=
  if c (Iv (hullJ l h)) then true else
  match d with
  | O => false
  | S d' => let m := BigQ.red (BigQ.mul (BigQ.add l h) (BigQ.of_Q (1#2))) in
            if bisectJ c d' l m then bisectJ c d' m h else false
  end.

Lemma bisectJ_sound : forall (c : V -> bool) (P : R -> Prop),
  (forall v x, vrel v x -> c v = true -> P x) ->
  forall d l h, bisectJ c d l h = true -> forall x, B2R l <= x <= B2R h -> P x.
Proof.
  intros c P Hc d; induction d as [|d IH]; intros l h H x Hx; cbn [bisectJ] in H;
    (destruct (c (Iv (hullJ l h))) eqn:C; [apply (Hc (Iv (hullJ l h)) x (hullJ_sound _ _ _ Hx) C)|]).
  - discriminate.
  - set (m := BigQ.red _) in *.
    destruct (bisectJ c d l m) eqn:H1; [|discriminate]. rename H into H2.
    destruct (Rle_dec x (B2R m)).
    + apply (IH l m H1). lra.
    + apply (IH m h H2). lra.
Qed.

End J.

(** [P] at every point of the innermost parameter's real interval (its bounds are
    expressions in the other parameters; an open end excludes its value). *)
Definition OnReal (lo hi : E) (lo_open hi_open : bool) (P : list R -> Prop) (env : list R) : Prop :=
  forall x, (if lo_open then evalR env lo < x else evalR env lo <= x) ->
            (if hi_open then x < evalR env hi else x <= evalR env hi) -> P (x :: env).

Definition check_real (prec : JI.precision) (d : nat) (r : Rel) (lhs rhs lo hi : E)
    (env : list bigQ) : bool :=
  match evalB env lo, evalB env hi with
  | Some l, Some h => bisectJ prec (fun v => checkJ prec r lhs rhs (v :: map Ex env)) d l h
  | _, _ => false
  end.

Lemma Forall2_map_Ex : forall env, Forall2 vrel (map Ex env) (map B2R env).
Proof. induction env; constructor; [reflexivity | assumption]. Qed.

Theorem check_real_sound : forall prec d r lhs rhs lo hi lo_open hi_open env,
  check_real prec d r lhs rhs lo hi env = true ->
  OnReal lo hi lo_open hi_open (Claim r lhs rhs) (map B2R env).
Proof.
  intros prec d r lhs rhs lo hi lo_open hi_open env H x Hl Hh. unfold check_real in H.
  destruct (evalB env lo) as [l|] eqn:A; [|discriminate].
  destruct (evalB env hi) as [h|] eqn:B; [|discriminate].
  apply evalB_sound in A; apply evalB_sound in B.
  refine (bisectJ_sound prec _ (fun x => Claim r lhs rhs (x :: map B2R env)) _ d l h H x _).
  - intros v y Hv C. apply (checkJ_sound prec r lhs rhs (v :: map Ex env)); [|exact C].
    constructor; [exact Hv | apply Forall2_map_Ex].
  - rewrite <- A, <- B. destruct lo_open, hi_open; lra.
Qed.

(** The whole grid of integer (or listed) points, with irrational values enclosed. *)
Lemma checkJ_soundB : forall prec r lhs rhs env,
  checkJ prec r lhs rhs (map Ex env) = true -> Claim r lhs rhs (map B2R env).
Proof. intros prec r lhs rhs env H. apply (checkJ_sound prec r lhs rhs (map Ex env)); [apply Forall2_map_Ex | exact H]. Qed.
