(** * Stabcert: the library every generated certificate imports.

    It holds the expression language of stabcert as a Coq term ([E]), its meaning over the
    reals ([evalR], the statement every certificate proves), a computable evaluator over
    [Q] ([evalQ], what [vm_compute] runs), and the lemmas that link the two once and for
    all: [evalQ_sound] (a rational value computed by [evalQ] is the real value),
    [foldE_sound] (replacing rational subterms by their values keeps the real value), and the
    reflective checkers for points, point lists and integer grids.

    Conventions (the same as the stabcert engines): [Sum lo hi b] sums [b] over the integers
    from [lo] to [hi] (the index is [Var 0] in [b]); [Rec s e i st] is x at [e] where x at [s]
    is [i] and x at t+1 is [st] (with t as [Var 0] and x as [Var 1]; [evalQ] refuses [e < s],
    which the engines report as undefined); [Let v b] binds [v] as
    [Var 0] in [b]; [PowZ x z] is x to an integer literal power; [Pow x y] is [Rpower x y]
    for x > 0 (and the integer power, 0 or 1 elsewhere; stabcert never certifies a point
    where a negative base has a non-integer exponent, which it reports as undefined). *)
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
  | Abs a => match evalQ env a with Some x => Some (qmax x (qred (- x))) | None => None end
  | Min a b => match evalQ env a, evalQ env b with
               | Some x, Some y => Some (qmin x y) | _, _ => None end
  | Max a b => match evalQ env a, evalQ env b with
               | Some x, Some y => Some (qmax x y) | _, _ => None end
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
  | _ => None
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
  - rewrite qmax_sound, Q2R_red, Q2R_opp, Rmax_abs; reflexivity.
  - symmetry; apply qmin_sound.
  - symmetry; apply qmax_sound.
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
