(** * Twin SGD on a construction whose loss has irrational values, in the reals

    The same process as [Twin.v] (two runs from the same start on S and S', the same index
    drawn at every step, with replacement or by reshuffling), with a loss that may use
    [exp], [ln] and [sqrt]: the iterates are real numbers. [rdual] is the loss's value and
    gradient in the reals by forward-mode differentiation, with the conventions of
    [Twin.v] at kinks ([abs'(0) = 0]; [min] and [max] follow the first argument attaining
    the value) and Coq's total [/], [ln] and [sqrt] (x / 0 = 0, ln x = 0 and sqrt x = 0
    for x <= 0); [lawR k] is the law after [k] steps by definition: one entry per index
    sequence, its probability and its pair of real iterates.

    What a certificate computes instead: [idual] and [lawBL], the same with every real
    replaced by an interval of Coq Interval's floating-point intervals ([JI], rounded
    outward). [idual_sound] proves that each interval contains its real number, so each
    entry of the box law (same probability, same drawn examples) contains its entry of the
    real law ([law_aligned]); expectations and maxima are then enclosed by summing and
    maximising intervals. With replacement, examples with the same data in S and in S' are
    drawn as one, with their total probability ([lawRL], [lawBL]; [lawRL_sum]: the same
    expectations); boxes are not merged otherwise. The reached-region statistics walk the
    laws with one entry per index sequence.

    The quantities restated (kinds as in [Twin.v]): 0 and 2 E||w_T - w'_T||, 1
    E||w_T - w'_T||^2, 3 P[w_t0 = w'_t0], 4 E[||w_t0 - w'_t0|| given w_t0 <> w'_t0], 5
    P[H = s], 6 E[||w_T - w'_T|| given H = s], 10 and 11 E[||w_T - w'_T|| given
    w_t0 = w'_t0] and [given w_t0 <> w'_t0] and, over the region the runs reach before T,
    7 the largest gradient norm, 8 the smallest and 9 the largest loss. Whether the runs
    agree is known from the boxes where no differing example was drawn (then they agree:
    [next_inv]) or where two boxes are apart (then they differ); a conditional on it has a
    value in a certificate only where every state at t0 is so decided.

    A certificate states its relation with [ClaimExtR] (at every point of a grid) or
    [RefutedExtR] (at a counterexample) and proves it with [checkExtR_sound] or
    [refuteExtR_sound]: the quantities' enclosures enter [checkJ] of [Stabcert.v] as
    enclosed values. *)

From Coq Require Import ZArith QArith Qreals List Bool Lia Lra Reals.
From Bignums Require Import BigQ.
From Interval Require Import Interval.Interval Real.Xreal.
From Stabcert Require Import Stabcert Twin.
Import ListNotations.

Inductive LR : Type :=
| RC (q : Q) | RW (k : nat) | RF (k : nat)
| RNeg (a : LR) | RAdd (a b : LR) | RSub (a b : LR) | RMul (a b : LR) | RDiv (a b : LR)
| RPow (a : LR) (n : Z)
| RAbs (a : LR) | RMin (a b : LR) | RMax (a b : LR)
| RExp (a : LR) | RLn (a : LR) | RSqrt (a : LR).

(** ** The loss in the reals *)

Open Scope R_scope.

Definition rzip (f : R -> R -> R) (a b : list R) : list R := map (fun p => f (fst p) (snd p)) (combine a b).
Definition rscale (c : R) (a : list R) : list R := map (fun x => c * x) a.
Definition rzeros (d : nat) : list R := repeat 0 d.
Definition runit (d k : nat) : list R := map (fun j => if Nat.eqb j k then 1 else 0) (seq 0 d).
Definition rsign (x : R) : R := if Rlt_dec 0 x then 1 else if Rlt_dec x 0 then -1 else 0.

(** value and gradient of [e] at weights [w] and fields [z] ([d] weights) *)
Fixpoint rdual (d : nat) (w z : list R) (e : LR) : R * list R :=
  match e with
  | RC q => (Q2R q, rzeros d)
  | RW k => (nth k w 0, runit d k)
  | RF k => (nth k z 0, rzeros d)
  | RNeg a => let (v, g) := rdual d w z a in (- v, rscale (-1) g)
  | RAdd a b => let (v, g) := rdual d w z a in let (u, h) := rdual d w z b in (v + u, rzip Rplus g h)
  | RSub a b => let (v, g) := rdual d w z a in let (u, h) := rdual d w z b in (v - u, rzip Rminus g h)
  | RMul a b => let (v, g) := rdual d w z a in let (u, h) := rdual d w z b in
      (v * u, rzip Rplus (rscale u g) (rscale v h))
  | RDiv a b => let (v, g) := rdual d w z a in let (u, h) := rdual d w z b in
      (v / u, rscale (/ (u * u)) (rzip Rminus (rscale u g) (rscale v h)))
  | RPow a n => let (v, g) := rdual d w z a in
      (powerRZ v n, if Z.eqb n 0 then rzeros d else rscale (IZR n * powerRZ v (n - 1)) g)
  | RAbs a => let (v, g) := rdual d w z a in (Rabs v, rscale (rsign v) g)
  | RMin a b => let (v, g) := rdual d w z a in let (u, h) := rdual d w z b in
      if Rle_dec v u then (v, g) else (u, h)
  | RMax a b => let (v, g) := rdual d w z a in let (u, h) := rdual d w z b in
      if Rle_dec u v then (v, g) else (u, h)
  | RExp a => let (v, g) := rdual d w z a in (exp v, rscale (exp v) g)
  | RLn a => let (v, g) := rdual d w z a in (ln v, rscale (/ v) g)
  | RSqrt a => let (v, g) := rdual d w z a in (sqrt v, rscale (/ (2 * sqrt v)) g)
  end.

(** ** The same on intervals *)

Section Boxes.
Variable prec : JI.precision.

Definition rin (X : JI.type) (x : R) : Prop := contains (JI.convert X) (Xreal x).

Definition izip (f : JI.type -> JI.type -> JI.type) (a b : list JI.type) : list JI.type :=
  map (fun p => f (fst p) (snd p)) (combine a b).
Definition iscale (c : JI.type) (a : list JI.type) : list JI.type := map (fun x => JI.mul prec c x) a.
Definition izeros (d : nat) : list JI.type := repeat (ofQ prec 0) d.
Definition iunit (d k : nat) : list JI.type :=
  map (fun j => if Nat.eqb j k then ofQ prec 1 else ofQ prec 0) (seq 0 d).
Definition ijoin3 (x : JI.type) : JI.type := JI.join x (JI.join (JI.neg x) (ofQ prec 0)).

(** [min] and [max]: the first operand where [X - Y <= 0], the second where [X - Y > 0],
    else both joined *)
Definition pick (X Y V U : JI.type) (G H : list JI.type) : JI.type * list JI.type :=
  match JI.sign_large (JI.sub prec X Y) with
  | Xlt | Xeq => (V, G)
  | _ => match JI.sign_strict (JI.sub prec X Y) with
         | Xgt => (U, H) | _ => (JI.join V U, izip JI.join G H) end
  end.

Fixpoint idual (d : nat) (w z : list JI.type) (e : LR) : JI.type * list JI.type :=
  match e with
  | RC q => (ofQ prec q, izeros d)
  | RW k => (nth k w JI.nai, iunit d k)
  | RF k => (nth k z JI.nai, izeros d)
  | RNeg a => let (v, g) := idual d w z a in (JI.neg v, iscale (ofQ prec (-1)) g)
  | RAdd a b => let (v, g) := idual d w z a in let (u, h) := idual d w z b in
      (JI.add prec v u, izip (JI.add prec) g h)
  | RSub a b => let (v, g) := idual d w z a in let (u, h) := idual d w z b in
      (JI.sub prec v u, izip (JI.sub prec) g h)
  | RMul a b => let (v, g) := idual d w z a in let (u, h) := idual d w z b in
      (JI.mul prec v u, izip (JI.add prec) (iscale u g) (iscale v h))
  | RDiv a b => let (v, g) := idual d w z a in let (u, h) := idual d w z b in
      (JI.div prec v u, iscale (JI.inv prec (JI.mul prec u u)) (izip (JI.sub prec) (iscale u g) (iscale v h)))
  | RPow a n => let (v, g) := idual d w z a in
      (JI.power_int prec v n,
       if Z.eqb n 0 then izeros d
       else iscale (JI.mul prec (ofQ prec (inject_Z n)) (JI.power_int prec v (n - 1))) g)
  | RAbs a => let (v, g) := idual d w z a in
      (JI.abs v, match JI.sign_strict v with
                 | Xgt => g
                 | Xlt => iscale (ofQ prec (-1)) g
                 | _ => map ijoin3 g
                 end)
  | RMin a b => let (v, g) := idual d w z a in let (u, h) := idual d w z b in pick v u v u g h
  | RMax a b => let (v, g) := idual d w z a in let (u, h) := idual d w z b in pick u v v u g h
  | RExp a => let (v, g) := idual d w z a in let ev := JI.exp prec v in (ev, iscale ev g)
  | RLn a => let (v, g) := idual d w z a in (JI.ln prec v, iscale (JI.inv prec v) g)
  | RSqrt a => let (v, g) := idual d w z a in let sv := JI.sqrt prec v in
      (sv, iscale (JI.inv prec (JI.mul prec (ofQ prec 2) sv)) g)
  end.

(** *** Each interval contains its real *)

Lemma ext_inv : Ext1 (JI.inv prec) Rinv.
Proof.
  intros i y H. apply (contains_or _ _ _ (JI.inv_correct prec i (Xreal y) H)).
  cbn [Xinv Xbind]. unfold Xinv'. destruct (is_zero y); auto.
Qed.

Lemma rin_Q : forall q, rin (ofQ prec q) (Q2R q).
Proof. intro q. apply ofQ_sound. Qed.

Lemma rin_0 : rin (ofQ prec 0) 0.
Proof. pose proof (rin_Q 0%Q) as H. assert (E : Q2R 0 = 0) by (unfold Q2R; cbn [Qnum Qden]; ring). rewrite E in H. exact H. Qed.

Lemma rin_1 : rin (ofQ prec 1) 1.
Proof. pose proof (rin_Q 1%Q) as H. assert (E : Q2R 1 = 1) by (unfold Q2R; cbn [Qnum Qden]; field). rewrite E in H. exact H. Qed.

Lemma rin_m1 : rin (ofQ prec (-1)) (-1).
Proof. pose proof (rin_Q (-1)%Q) as H. assert (E : Q2R (-1) = -1) by (unfold Q2R; cbn [Qnum Qden]; field). rewrite E in H. exact H. Qed.

Lemma rin_nai : forall x, rin JI.nai x.
Proof. intro x. unfold rin. rewrite JI.nai_correct. exact I. Qed.

Lemma Forall2_zip : forall (f : JI.type -> JI.type -> JI.type) (g : R -> R -> R),
  (forall X Y x y, rin X x -> rin Y y -> rin (f X Y) (g x y)) ->
  forall A a, Forall2 rin A a -> forall B b, Forall2 rin B b -> Forall2 rin (izip f A B) (rzip g a b).
Proof.
  intros f g Hf A a HA. induction HA as [|X x A a Hx HA IH]; intros B b HB; [constructor|].
  destruct HB as [|Y y B b Hy HB]; [constructor|].
  unfold izip, rzip in *. cbn [combine map fst snd]. constructor; [apply Hf; assumption | apply IH, HB].
Qed.

Lemma Forall2_scale : forall C c A a, rin C c -> Forall2 rin A a -> Forall2 rin (iscale C A) (rscale c a).
Proof.
  intros C c A a Hc HA. induction HA as [|X x A a Hx HA IH]; [constructor|].
  constructor; [apply ext_mul; assumption | exact IH].
Qed.

Lemma Forall2_zeros : forall d, Forall2 rin (izeros d) (rzeros d).
Proof. induction d as [|d IH]; constructor; [apply rin_0 | exact IH]. Qed.

Lemma Forall2_unit : forall d k, Forall2 rin (iunit d k) (runit d k).
Proof.
  intros d k. unfold iunit, runit. generalize (seq 0 d). intro l.
  induction l as [|j l IH]; constructor; [|exact IH].
  destruct (Nat.eqb j k); [apply rin_1 | apply rin_0].
Qed.

Lemma Forall2_nth : forall A a k, Forall2 rin A a -> rin (nth k A JI.nai) (nth k a 0).
Proof.
  intros A a k H. revert k. induction H as [|X x A a Hx H IH]; intro k.
  - destruct k; apply rin_nai.
  - destruct k; [exact Hx | apply IH].
Qed.

Lemma Forall2_map_same : forall (f : JI.type -> JI.type) A a, Forall2 rin A a ->
  (forall X x, rin X x -> rin (f X) x) -> Forall2 rin (map f A) a.
Proof. intros f A a H Hf. induction H; constructor; auto. Qed.

Lemma Forall2_join_l : forall G g H, Forall2 rin G g -> length H = length G ->
  Forall2 rin (izip JI.join G H) g.
Proof.
  intros G g H HG. revert H. induction HG as [|X x G g Hx HG IH]; intros [|Y H] L; try discriminate; [constructor|].
  unfold izip in *. cbn [combine map fst snd]. constructor.
  - apply JI.join_correct. left. exact Hx.
  - apply IH. injection L. auto.
Qed.

Lemma Forall2_join_r : forall H h G, Forall2 rin H h -> length G = length H ->
  Forall2 rin (izip JI.join G H) h.
Proof.
  intros H h G HH. revert G. induction HH as [|Y y H h Hy HH IH]; intros [|X G] L; try discriminate; [constructor|].
  unfold izip in *. cbn [combine map fst snd]. constructor.
  - apply JI.join_correct. right. exact Hy.
  - apply IH. injection L. auto.
Qed.

Lemma Forall2_length : forall A a, Forall2 rin A a -> length A = length a.
Proof. intros A a H. induction H; cbn; auto. Qed.

Lemma rin_sign_scale : forall V v G g, rin V v -> Forall2 rin G g ->
  Forall2 rin (match JI.sign_strict V with Xgt => G | Xlt => iscale (ofQ prec (-1)) G | _ => map ijoin3 G end)
    (rscale (rsign v) g).
Proof.
  intros V v G g Hv Hg. pose proof (JI.sign_strict_correct V) as S.
  assert (J : forall s, s = 1 \/ s = -1 \/ s = 0 -> Forall2 rin (map ijoin3 G) (rscale s g)).
  { intros s Hs. induction Hg as [|X x G g Hx Hg IH]; constructor; [|exact IH].
    unfold ijoin3. apply JI.join_correct. destruct Hs as [-> | [-> | ->]].
    - left. rewrite Rmult_1_l. exact Hx.
    - right. apply JI.join_correct. left. replace (-1 * x) with (- x) by ring. apply ext_neg, Hx.
    - right. apply JI.join_correct. right. rewrite Rmult_0_l. apply rin_0. }
  assert (Hs : rsign v = 1 \/ rsign v = -1 \/ rsign v = 0).
  { unfold rsign. destruct (Rlt_dec 0 v); auto. destruct (Rlt_dec v 0); auto. }
  destruct (JI.sign_strict V); try (apply J, Hs).
  - destruct (S _ Hv) as [_ P]. cbn [proj_val] in P. unfold rsign.
    destruct (Rlt_dec 0 v); [lra|]. destruct (Rlt_dec v 0); [|lra]. apply Forall2_scale; [apply rin_m1 | exact Hg].
  - destruct (S _ Hv) as [_ P]. cbn [proj_val] in P. unfold rsign.
    destruct (Rlt_dec 0 v); [|lra]. clear -Hg. induction Hg; constructor; [|assumption].
    rewrite Rmult_1_l. assumption.
Qed.

Lemma rin_2 : rin (ofQ prec 2) 2.
Proof. pose proof (rin_Q 2%Q) as H. assert (E : Q2R 2 = 2) by (unfold Q2R; cbn [Qnum Qden]; field). rewrite E in H. exact H. Qed.

Lemma rin_Z : forall n, rin (ofQ prec (inject_Z n)) (IZR n).
Proof. intro n. rewrite <- Q2R_inject. apply rin_Q. Qed.

Lemma len_iscale : forall c a, length (iscale c a) = length a.
Proof. intros; apply map_length. Qed.
Lemma len_izip : forall f a b, length (izip f a b) = Nat.min (length a) (length b).
Proof. intros; unfold izip; rewrite map_length; apply combine_length. Qed.
Lemma len_izeros : forall d, length (izeros d) = d.
Proof. intros; apply repeat_length. Qed.
Lemma len_iunit : forall d k, length (iunit d k) = d.
Proof. intros; unfold iunit; rewrite map_length; apply seq_length. Qed.
Lemma len_join3 : forall a, length (map ijoin3 a) = length a.
Proof. intros; apply map_length. Qed.

Lemma length_idual : forall d W Z e, length (snd (idual d W Z e)) = d.
Proof.
  intros d W Z e. induction e; cbn [idual];
  repeat match goal with
  | IH : length (snd (idual d W Z ?a)) = d |- _ =>
      let v := fresh "v" in let g := fresh "g" in
      destruct (idual d W Z a) as [v g]; cbn [snd] in IH
  end;
  unfold pick;
  repeat match goal with |- context [match ?x with _ => _ end] => destruct x end;
  cbn [snd]; repeat first [rewrite len_iscale | rewrite len_izip | rewrite len_izeros | rewrite len_iunit | rewrite len_join3];
  repeat match goal with H : length ?g = d |- _ => rewrite H; clear H end; lia.
Qed.

(** [min] and [max]: the real takes the first operand when [x <= y]; the interval decides
    by the sign of [X - Y], or joins both *)
Lemma pick_sound : forall X Y x y V v G g U u H h, rin X x -> rin Y y ->
  rin V v -> Forall2 rin G g -> rin U u -> Forall2 rin H h -> length G = length H ->
  rin (fst (pick X Y V U G H)) (fst (if Rle_dec x y then (v, g) else (u, h))) /\
  Forall2 rin (snd (pick X Y V U G H)) (snd (if Rle_dec x y then (v, g) else (u, h))).
Proof.
  intros X Y x y V v G g U u H h HX HY A1 B1 A2 B2 L. unfold pick.
  assert (Hd : rin (JI.sub prec X Y) (x - y)) by (apply ext_sub; assumption).
  pose proof (JI.sign_large_correct (JI.sub prec X Y)) as SL.
  pose proof (JI.sign_strict_correct (JI.sub prec X Y)) as SS.
  assert (Join : rin (JI.join V U) (fst (if Rle_dec x y then (v, g) else (u, h))) /\
                 Forall2 rin (izip JI.join G H) (snd (if Rle_dec x y then (v, g) else (u, h)))).
  { destruct (Rle_dec x y); cbn [fst snd]; split.
    - apply JI.join_correct. left. exact A1.
    - apply Forall2_join_l; [exact B1 | congruence].
    - apply JI.join_correct. right. exact A2.
    - apply Forall2_join_r; [exact B2 | congruence]. }
  destruct (JI.sign_large (JI.sub prec X Y)).
  - apply SL in Hd. injection Hd as Hd. destruct (Rle_dec x y); [split; assumption | lra].
  - destruct (SL _ Hd) as [_ P]. cbn [proj_val] in P. destruct (Rle_dec x y); [split; assumption | lra].
  - destruct (JI.sign_strict (JI.sub prec X Y)); try exact Join.
    destruct (SS _ Hd) as [_ P]. cbn [proj_val] in P. destruct (Rle_dec x y); [lra | split; assumption].
  - destruct (JI.sign_strict (JI.sub prec X Y)); try exact Join.
    destruct (SS _ Hd) as [_ P]. cbn [proj_val] in P. destruct (Rle_dec x y); [lra | split; assumption].
Qed.

Lemma idual_sound : forall d W Z w z e, Forall2 rin W w -> Forall2 rin Z z ->
  rin (fst (idual d W Z e)) (fst (rdual d w z e)) /\ Forall2 rin (snd (idual d W Z e)) (snd (rdual d w z e)).
Proof.
  intros d W Z w z e HW HZ. induction e; cbn [idual rdual].
  - split; [apply rin_Q | apply Forall2_zeros].
  - split; [apply Forall2_nth, HW | apply Forall2_unit].
  - split; [apply Forall2_nth, HZ | apply Forall2_zeros].
  - destruct IHe as [A B]. destruct (idual d W Z e) as [V G], (rdual d w z e) as [v g]. cbn [fst snd] in *.
    split; [apply ext_neg, A | apply Forall2_scale; [apply rin_m1 | exact B]].
  - destruct IHe1 as [A1 B1], IHe2 as [A2 B2].
    destruct (idual d W Z e1) as [V G], (rdual d w z e1) as [v g], (idual d W Z e2) as [U H], (rdual d w z e2) as [u h].
    cbn [fst snd] in *. split; [apply ext_add; assumption|].
    apply Forall2_zip; [intros; apply ext_add; assumption | exact B1 | exact B2].
  - destruct IHe1 as [A1 B1], IHe2 as [A2 B2].
    destruct (idual d W Z e1) as [V G], (rdual d w z e1) as [v g], (idual d W Z e2) as [U H], (rdual d w z e2) as [u h].
    cbn [fst snd] in *. split; [apply ext_sub; assumption|].
    apply Forall2_zip; [intros; apply ext_sub; assumption | exact B1 | exact B2].
  - destruct IHe1 as [A1 B1], IHe2 as [A2 B2].
    destruct (idual d W Z e1) as [V G], (rdual d w z e1) as [v g], (idual d W Z e2) as [U H], (rdual d w z e2) as [u h].
    cbn [fst snd] in *. split; [apply ext_mul; assumption|].
    apply Forall2_zip; [intros; apply ext_add; assumption | |]; apply Forall2_scale; assumption.
  - destruct IHe1 as [A1 B1], IHe2 as [A2 B2].
    destruct (idual d W Z e1) as [V G], (rdual d w z e1) as [v g], (idual d W Z e2) as [U H], (rdual d w z e2) as [u h].
    cbn [fst snd] in *. split; [apply ext_div; assumption|].
    apply Forall2_scale; [apply ext_inv, ext_mul; assumption|].
    apply Forall2_zip; [intros; apply ext_sub; assumption | |]; apply Forall2_scale; assumption.
  - destruct IHe as [A B]. destruct (idual d W Z e) as [V G], (rdual d w z e) as [v g]. cbn [fst snd] in *.
    split; [apply ext_powz, A|]. destruct (Z.eqb n 0); [apply Forall2_zeros|].
    apply Forall2_scale; [apply ext_mul; [apply rin_Z | apply ext_powz, A] | exact B].
  - destruct IHe as [A B]. destruct (idual d W Z e) as [V G], (rdual d w z e) as [v g]. cbn [fst snd] in *.
    split; [apply ext_abs, A | apply rin_sign_scale; assumption].
  - pose proof (length_idual d W Z e1) as L1. pose proof (length_idual d W Z e2) as L2.
    destruct IHe1 as [A1 B1], IHe2 as [A2 B2].
    destruct (idual d W Z e1) as [V G], (rdual d w z e1) as [v g], (idual d W Z e2) as [U H], (rdual d w z e2) as [u h].
    cbn [fst snd] in *. apply pick_sound; congruence || assumption.
  - pose proof (length_idual d W Z e1) as L1. pose proof (length_idual d W Z e2) as L2.
    destruct IHe1 as [A1 B1], IHe2 as [A2 B2].
    destruct (idual d W Z e1) as [V G], (rdual d w z e1) as [v g], (idual d W Z e2) as [U H], (rdual d w z e2) as [u h].
    cbn [fst snd] in *. apply pick_sound; congruence || assumption.
  - destruct IHe as [A B]. destruct (idual d W Z e) as [V G], (rdual d w z e) as [v g]. cbn [fst snd] in *.
    split; [apply ext_exp, A | apply Forall2_scale; [apply ext_exp, A | exact B]].
  - destruct IHe as [A B]. destruct (idual d W Z e) as [V G], (rdual d w z e) as [v g]. cbn [fst snd] in *.
    split; [apply ext_ln, A | apply Forall2_scale; [apply ext_inv, A | exact B]].
  - destruct IHe as [A B]. destruct (idual d W Z e) as [V G], (rdual d w z e) as [v g]. cbn [fst snd] in *.
    split; [apply ext_sqrt, A|]. apply Forall2_scale; [|exact B].
    apply ext_inv, ext_mul; [apply rin_2 | apply ext_sqrt, A].
Qed.

End Boxes.

(** ** The process *)

Record TwinR := {
  lossR : LR; dimR : nat; exR : list (list Q); exR' : list (list Q);
  alphaR : Z -> Q; firstR : Z; w0R : list Q; reshuffleR : bool }.

Definition nR (c : TwinR) : nat := length (exR c).
Definition differsR (c : TwinR) (i : nat) : bool :=
  negb (list_eqb qeqb (nth i (exR c) []) (nth i (exR' c) [])).
Definition choicesR (c : TwinR) (u : list bool) : list nat :=
  if reshuffleR c then filter (fun i => negb (nth i u false)) (seq 0 (nR c)) else seq 0 (nR c).
Definition usedR (c : TwinR) (u : list bool) (i : nat) : list bool :=
  if reshuffleR c then
    (let u' := map (fun j => Nat.eqb j i || nth j u false) (seq 0 (nR c)) in
     if forallb (fun b => b) u' then repeat false (nR c) else u')
  else [].
Definition hitR (c : TwinR) (t : Z) (h : option Z) (i : nat) : option Z :=
  match h with Some h => Some h | None => if differsR c i then Some t else None end.

(** a state of the real process: both iterates, the examples drawn in the epoch, the first
    step that drew an example where S and S' differ; and the same with boxes *)
Record StR := { rS : list R; rS' : list R; rused : list bool; rhit : option Z }.
Record StB := { bS : list JI.type; bS' : list JI.type; bused : list bool; bhit : option Z }.

Definition sgdR (c : TwinR) (t : Z) (w : list R) (z : list Q) : list R :=
  rzip Rminus w (rscale (Q2R (alphaR c t)) (snd (rdual (dimR c) w (map Q2R z) (lossR c)))).
Definition sgdB (prec : JI.precision) (c : TwinR) (t : Z) (w : list JI.type) (z : list Q) : list JI.type :=
  izip (JI.sub prec) w (iscale prec (ofQ prec (alphaR c t)) (snd (idual prec (dimR c) w (map (ofQ prec) z) (lossR c)))).

Definition nextR (c : TwinR) (t : Z) (s : StR) (i : nat) : StR :=
  {| rS := sgdR c t (rS s) (nth i (exR c) []); rS' := sgdR c t (rS' s) (nth i (exR' c) []);
     rused := usedR c (rused s) i; rhit := hitR c t (rhit s) i |}.
Definition nextB (prec : JI.precision) (c : TwinR) (t : Z) (s : StB) (i : nat) : StB :=
  {| bS := sgdB prec c t (bS s) (nth i (exR c) []); bS' := sgdB prec c t (bS' s) (nth i (exR' c) []);
     bused := usedR c (bused s) i; bhit := hitR c t (bhit s) i |}.

Definition share (p : Q) (k : list nat) : Q := Qred (p / inject_Z (Z.of_nat (length k))).

Definition stepR (c : TwinR) (t : Z) (l : list (StR * Q)) : list (StR * Q) :=
  flat_map (fun sp => let k := choicesR c (rused (fst sp)) in map (fun i => (nextR c t (fst sp) i, share (snd sp) k)) k) l.
Definition stepB (prec : JI.precision) (c : TwinR) (t : Z) (l : list (StB * Q)) : list (StB * Q) :=
  flat_map (fun sp => let k := choicesR c (bused (fst sp)) in map (fun i => (nextB prec c t (fst sp) i, share (snd sp) k)) k) l.

Definition used0 (c : TwinR) : list bool := if reshuffleR c then repeat false (nR c) else [].

(** the law after [k] steps, by definition: one entry per index sequence *)
Fixpoint lawR (c : TwinR) (k : nat) : list (StR * Q) :=
  match k with
  | O => [({| rS := map Q2R (w0R c); rS' := map Q2R (w0R c); rused := used0 c; rhit := None |}, 1%Q)]
  | S m => stepR c (firstR c + Z.of_nat m) (lawR c m)
  end.
Fixpoint lawB (prec : JI.precision) (c : TwinR) (k : nat) : list (StB * Q) :=
  match k with
  | O => [({| bS := map (ofQ prec) (w0R c); bS' := map (ofQ prec) (w0R c); bused := used0 c; bhit := None |}, 1%Q)]
  | S m => stepB prec c (firstR c + Z.of_nat m) (lawB prec c m)
  end.

(** every state of the laws after 0 .. m-1 steps *)
Fixpoint histR (c : TwinR) (m : nat) (t : Z) (l : list (StR * Q)) : list (StR * Q) :=
  match m with O => [] | S m' => l ++ histR c m' (t + 1) (stepR c t l) end.
Fixpoint histB (prec : JI.precision) (c : TwinR) (m : nat) (t : Z) (l : list (StB * Q)) : list (StB * Q) :=
  match m with O => [] | S m' => l ++ histB prec c m' (t + 1) (stepB prec c t l) end.

Section Aligned.
Variable prec : JI.precision.

(** an entry of the box law and one of the real law: the same probability, the same draws,
    each iterate in its box *)
Definition al (b : StB * Q) (r : StR * Q) : Prop :=
  snd b = snd r /\ bused (fst b) = rused (fst r) /\ bhit (fst b) = rhit (fst r) /\
  Forall2 rin (bS (fst b)) (rS (fst r)) /\ Forall2 rin (bS' (fst b)) (rS' (fst r)).

Lemma Forall2_ofQ : forall z, Forall2 rin (map (ofQ prec) z) (map Q2R z).
Proof. induction z; constructor; [apply rin_Q | assumption]. Qed.

Lemma sgd_sound : forall c t W w z, Forall2 rin W w ->
  Forall2 rin (sgdB prec c t W z) (sgdR c t w z).
Proof.
  intros c t W w z H. unfold sgdB, sgdR. apply Forall2_zip; [intros; apply ext_sub; assumption | exact H|].
  apply Forall2_scale; [apply rin_Q|]. apply idual_sound; [exact H | apply Forall2_ofQ].
Qed.

Lemma step_aligned : forall c t lb lr, Forall2 al lb lr -> Forall2 al (stepB prec c t lb) (stepR c t lr).
Proof.
  intros c t lb lr H. induction H as [|[b p] [r q] lb lr A H IH]; [constructor|].
  unfold stepB, stepR in *. cbn [flat_map]. apply Forall2_app; [|exact IH].
  destruct A as (Ep & Eu & Eh & HS & HS'). cbn [fst snd] in *. rewrite Eu, Ep.
  generalize (choicesR c (rused r)) at 1 3. intro k0.
  induction (choicesR c (rused r)) as [|i k IHk]; constructor; [|exact IHk].
  unfold al. cbn [fst snd nextB nextR bused rused bhit rhit bS bS' rS rS'].
  rewrite Eu, Eh. repeat split; apply sgd_sound; assumption.
Qed.

Lemma law_aligned : forall c k, Forall2 al (lawB prec c k) (lawR c k).
Proof.
  intros c k. induction k as [|k IH].
  - constructor; [|constructor]. unfold al. cbn. repeat split; apply Forall2_ofQ.
  - apply step_aligned, IH.
Qed.

Lemma hist_aligned : forall c m t lb lr, Forall2 al lb lr -> Forall2 al (histB prec c m t lb) (histR c m t lr).
Proof.
  intros c m; induction m as [|m IH]; intros t lb lr H; [constructor|].
  cbn [histB histR]. apply Forall2_app; [exact H | apply IH, step_aligned, H].
Qed.

(** *** Expectations: a sum of probabilities times values, enclosed *)

Definition sumR (f : StR -> R) (l : list (StR * Q)) : R := fold_right (fun sp acc => Q2R (snd sp) * f (fst sp) + acc) 0 l.
Definition sumI (F : StB -> JI.type) (l : list (StB * Q)) : JI.type :=
  fold_right (fun sp acc => JI.add prec (JI.mul prec (ofQ prec (snd sp)) (F (fst sp))) acc) (ofQ prec 0) l.
Definition sumD {S} (g : S -> Q) (l : list (S * Q)) : Q := fold_right (fun sp acc => Qred (snd sp * g (fst sp) + acc)) 0%Q l.

Lemma sumD_aligned : forall (g : list bool -> option Z -> Q) lb lr, Forall2 al lb lr ->
  sumD (fun s => g (bused s) (bhit s)) lb = sumD (fun s => g (rused s) (rhit s)) lr.
Proof.
  intros g lb lr H. induction H as [|b r lb lr A H IH]; [reflexivity|].
  cbn [sumD fold_right]. destruct A as (Ep & Eu & Eh & _). rewrite Ep, Eu, Eh. fold (@sumD StB) (@sumD StR).
  unfold sumD in *. rewrite IH. reflexivity.
Qed.

End Aligned.

(** ** Lumping

    With replacement, two examples with the same data in S and in S' lead every state to
    the same next state, so a step can draw one of them with their total probability.
    [lawRL] does so; [lawRL_sum]: it has the expectations of [lawR]. (Certificates
    compute the box version of [lawRL].) *)

Definition sameR (c : TwinR) (i j : nat) : bool :=
  negb (reshuffleR c) && list_eqb qeqb (nth i (exR c) []) (nth j (exR c) [])
  && list_eqb qeqb (nth i (exR' c) []) (nth j (exR' c) []).

Fixpoint lumpIns (c : TwinR) (i : nat) (acc : list (nat * nat)) : list (nat * nat) :=
  match acc with
  | [] => [(i, 1%nat)]
  | (j, m) :: r => if sameR c i j then (j, S m) :: r else (j, m) :: lumpIns c i r
  end.
Fixpoint lump (c : TwinR) (k : list nat) : list (nat * nat) :=
  match k with [] => [] | i :: r => lumpIns c i (lump c r) end.
Definition shareL (p : Q) (m : nat) (k : list nat) : Q :=
  Qred (p * inject_Z (Z.of_nat m) / inject_Z (Z.of_nat (length k))).

Definition stepRL (c : TwinR) (t : Z) (l : list (StR * Q)) : list (StR * Q) :=
  flat_map (fun sp => let k := choicesR c (rused (fst sp)) in
    map (fun jm => (nextR c t (fst sp) (fst jm), shareL (snd sp) (snd jm) k)) (lump c k)) l.
Definition stepBL (prec : JI.precision) (c : TwinR) (t : Z) (l : list (StB * Q)) : list (StB * Q) :=
  flat_map (fun sp => let k := choicesR c (bused (fst sp)) in
    map (fun jm => (nextB prec c t (fst sp) (fst jm), shareL (snd sp) (snd jm) k)) (lump c k)) l.
Fixpoint lawRL (c : TwinR) (k : nat) : list (StR * Q) :=
  match k with O => lawR c 0 | S m => stepRL c (firstR c + Z.of_nat m) (lawRL c m) end.
Fixpoint lawBL (prec : JI.precision) (c : TwinR) (k : nat) : list (StB * Q) :=
  match k with O => lawB prec c 0 | S m => stepBL prec c (firstR c + Z.of_nat m) (lawBL prec c m) end.

Lemma next_same : forall c t s i j, sameR c i j = true -> nextR c t s i = nextR c t s j.
Proof.
  intros c t s i j H. unfold sameR in H. apply andb_true_iff in H as [H H2]. apply andb_true_iff in H as [H0 H1].
  apply (list_eqb_eq _ qeqb_eq) in H1. apply (list_eqb_eq _ qeqb_eq) in H2. apply negb_true_iff in H0.
  unfold nextR, usedR, hitR, differsR. rewrite H1, H2, H0. reflexivity.
Qed.

Fixpoint lsum (F : nat -> R) (l : list (nat * nat)) : R :=
  match l with [] => 0 | (j, m) :: r => INR m * F j + lsum F r end.
Fixpoint ksum (F : nat -> R) (k : list nat) : R :=
  match k with [] => 0 | i :: r => F i + ksum F r end.

Lemma lump_sum : forall c F, (forall i j, sameR c i j = true -> F i = F j) ->
  forall k, lsum F (lump c k) = ksum F k.
Proof.
  intros c F HF.
  assert (Ins : forall i acc, lsum F (lumpIns c i acc) = F i + lsum F acc).
  { intros i acc. induction acc as [|[j m] r IH]; cbn [lumpIns lsum].
    - cbn [INR]. ring.
    - destruct (sameR c i j) eqn:E; cbn [lsum].
      + rewrite (HF i j E), S_INR. ring.
      + rewrite IH. ring. }
  intro k. induction k as [|i k IH]; [reflexivity|]. cbn [lump ksum]. rewrite Ins, IH. reflexivity.
Qed.

Lemma Q2R_Qred : forall q, Q2R (Qred q) = Q2R q.
Proof. intro q. apply Qeq_eqR, Qred_correct. Qed.

Lemma sumR_app : forall f a b, sumR f (a ++ b) = sumR f a + sumR f b.
Proof. intros f a b. unfold sumR. induction a as [|x a IH]; cbn [app fold_right]; [ring | rewrite IH; ring]. Qed.

Definition stepFR (c : TwinR) (t : Z) (f : StR -> R) (s : StR) : R :=
  let k := choicesR c (rused s) in ksum (fun i => Q2R (/ inject_Z (Z.of_nat (length k))) * f (nextR c t s i)) k.

Lemma sum_stepR : forall c t f l, sumR f (stepR c t l) = sumR (stepFR c t f) l.
Proof.
  intros c t f l. induction l as [|[s p] l IH]; [reflexivity|].
  unfold stepR in *. cbn [flat_map]. rewrite sumR_app, IH. cbn [sumR fold_right fst snd]. f_equal.
  unfold stepFR, share. generalize (length (choicesR c (rused s))). intro K.
  induction (choicesR c (rused s)) as [|i k IHk]; cbn [map sumR fold_right ksum fst snd] in *; [ring|].
  unfold sumR in IHk. rewrite IHk, Q2R_Qred. unfold Qdiv. rewrite Q2R_mult. ring.
Qed.

Lemma sum_stepRL : forall c t f l, sumR f (stepRL c t l) = sumR (stepFR c t f) l.
Proof.
  intros c t f l. induction l as [|[s p] l IH]; [reflexivity|].
  unfold stepRL in *. cbn [flat_map]. rewrite sumR_app, IH. cbn [sumR fold_right fst snd]. f_equal.
  unfold stepFR, shareL.
  rewrite <- (lump_sum c (fun i => Q2R (/ inject_Z (Z.of_nat (length (choicesR c (rused s))))) * f (nextR c t s i))).
  2: { intros i j E. rewrite (next_same c t s i j E). reflexivity. }
  generalize (length (choicesR c (rused s))). intro K.
  induction (lump c (choicesR c (rused s))) as [|[j m] L IHL]; cbn [map sumR fold_right lsum fst snd] in *; [ring|].
  unfold sumR in IHL. rewrite IHL, Q2R_Qred. unfold Qdiv. rewrite !Q2R_mult, Q2R_inject, <- INR_IZR_INZ. ring.
Qed.

Lemma lawRL_sum : forall c k f, sumR f (lawRL c k) = sumR f (lawR c k).
Proof.
  intros c k. induction k as [|k IH]; intro f; [reflexivity|].
  cbn [lawRL lawR]. rewrite sum_stepRL, sum_stepR. apply IH.
Qed.

Lemma sumD_R : forall (g : StR -> Q) l, Q2R (sumD g l) = sumR (fun s => Q2R (g s)) l.
Proof.
  intros g l. induction l as [|[s p] l IH]; cbn [sumD sumR fold_right fst snd] in *.
  - unfold Q2R. cbn. ring.
  - unfold sumD, sumR in *. rewrite Q2R_Qred, Q2R_plus, Q2R_mult, IH. reflexivity.
Qed.

Lemma stepL_aligned : forall prec c t lb lr, Forall2 al lb lr -> Forall2 al (stepBL prec c t lb) (stepRL c t lr).
Proof.
  intros prec c t lb lr H.
  induction H as [|[b p] [r q] lb lr A H IHl]; [constructor|].
  unfold stepBL, stepRL in *. cbn [flat_map]. apply Forall2_app; [|exact IHl].
  destruct A as (Ep & Eu & Eh & HS & HS'). cbn [fst snd] in *. rewrite Eu, Ep.
  induction (lump c (choicesR c (rused r))) as [|[j m] L IHL]; constructor; [|exact IHL].
  unfold al. cbn [fst snd nextB nextR bused rused bhit rhit bS bS' rS rS'].
  rewrite Eu, Eh. repeat split; apply sgd_sound; assumption.
Qed.

Lemma lawBL_aligned : forall prec c k, Forall2 al (lawBL prec c k) (lawRL c k).
Proof.
  intros prec c k. induction k as [|k IH]; [apply (law_aligned prec c 0)|].
  cbn [lawBL lawRL]. apply stepL_aligned, IH.
Qed.

(** running a law on from time [t] for [m] steps *)
Fixpoint runR (c : TwinR) (m : nat) (t : Z) (l : list (StR * Q)) : list (StR * Q) :=
  match m with O => l | S m' => runR c m' (t + 1) (stepR c t l) end.
Fixpoint runRL (c : TwinR) (m : nat) (t : Z) (l : list (StR * Q)) : list (StR * Q) :=
  match m with O => l | S m' => runRL c m' (t + 1) (stepRL c t l) end.
Fixpoint runBL (prec : JI.precision) (c : TwinR) (m : nat) (t : Z) (l : list (StB * Q)) : list (StB * Q) :=
  match m with O => l | S m' => runBL prec c m' (t + 1) (stepBL prec c t l) end.

Lemma runL_aligned : forall prec c m t lb lr, Forall2 al lb lr -> Forall2 al (runBL prec c m t lb) (runRL c m t lr).
Proof.
  intros prec c m; induction m as [|m IH]; intros t lb lr H; [exact H|].
  cbn [runBL runRL]. apply IH, stepL_aligned, H.
Qed.

(** two real laws with the same expectations *)
Definition same (l1 l2 : list (StR * Q)) : Prop := forall f, sumR f l1 = sumR f l2.

Lemma run_same : forall c m t l1 l2, same l1 l2 -> same (runRL c m t l1) (runR c m t l2).
Proof.
  intros c m; induction m as [|m IH]; intros t l1 l2 H; [exact H|].
  cbn [runRL runR]. apply IH. intro f. rewrite sum_stepRL, sum_stepR. apply H.
Qed.

Lemma sumR_filter : forall (P : StR -> bool) f l,
  sumR f (filter (fun sp => P (fst sp)) l) = sumR (fun s => if P s then f s else 0) l.
Proof.
  intros P f l. unfold sumR. induction l as [|[s p] l IH]; [reflexivity|].
  cbn [filter fst fold_right snd]. destruct (P s); cbn [fold_right fst snd]; rewrite IH; ring.
Qed.

Lemma filter_same : forall (P : StR -> bool) l1 l2, same l1 l2 ->
  same (filter (fun sp => P (fst sp)) l1) (filter (fun sp => P (fst sp)) l2).
Proof. intros P l1 l2 H f. rewrite !sumR_filter. apply H. Qed.

(** the runs agree as long as no example where S and S' differ was drawn *)
Definition inv (s : StR) : Prop := rhit s = None -> rS s = rS' s.

Lemma next_inv : forall c t s i, inv s -> inv (nextR c t s i).
Proof.
  intros c t s i H. unfold inv, nextR, hitR. cbn [rhit rS rS'].
  destruct (rhit s) as [h|] eqn:Hh; [discriminate|]. unfold differsR.
  destruct (list_eqb qeqb (nth i (exR c) []) (nth i (exR' c) [])) eqn:E; cbn [negb]; [|discriminate].
  intros _. apply (list_eqb_eq _ qeqb_eq) in E. rewrite E, (H Hh). reflexivity.
Qed.

Lemma stepRL_inv : forall c t l, Forall (fun sp => inv (fst sp)) l -> Forall (fun sp => inv (fst sp)) (stepRL c t l).
Proof.
  intros c t l H. unfold stepRL. induction H as [|[s p] l Hs H IH]; [constructor|].
  cbn [flat_map]. apply Forall_app; split; [|exact IH].
  induction (lump c (choicesR c (rused (fst (s, p))))) as [|jm L IHL]; constructor; [|exact IHL].
  apply next_inv, Hs.
Qed.

Lemma lawRL_inv : forall c m, Forall (fun sp => inv (fst sp)) (lawRL c m).
Proof.
  intros c m. induction m as [|m IH].
  - constructor; [|constructor]. intros _. reflexivity.
  - apply stepRL_inv, IH.
Qed.

Lemma Forall2_inv : forall lb lr, Forall2 al lb lr -> Forall (fun sp => inv (fst sp)) lr ->
  Forall2 (fun b r => al b r /\ inv (fst r)) lb lr.
Proof.
  intros lb lr H I. induction H as [|b r lb lr A H IH]; [constructor|].
  inversion I as [|x y Ir I']; subst. constructor; [split; assumption | apply IH, I'].
Qed.

(** [E f / P[g]] (g a weight on the first differing draw) *)
Definition ratioR (l : list (StR * Q)) (f : StR -> R) (g : option Z -> Q) : option R :=
  let den := sumD (fun s => g (rhit s)) l in if Qeq_bool den 0 then None else Some (sumR f l / Q2R den).

Lemma ratio_lump : forall c m f g, ratioR (lawRL c m) f g = ratioR (lawR c m) f g.
Proof.
  intros c m f g. unfold ratioR.
  assert (E : Q2R (sumD (fun s => g (rhit s)) (lawRL c m)) = Q2R (sumD (fun s => g (rhit s)) (lawR c m)))
    by (rewrite !sumD_R; apply lawRL_sum).
  rewrite lawRL_sum.
  destruct (Qeq_bool (sumD (fun s => g (rhit s)) (lawRL c m)) 0) eqn:A;
  destruct (Qeq_bool (sumD (fun s => g (rhit s)) (lawR c m)) 0) eqn:B; try reflexivity.
  - apply Qeq_bool_iff in A. apply Qeq_eqR in A. rewrite E in A. apply eqR_Qeq in A.
    apply Qeq_bool_iff in A. congruence.
  - apply Qeq_bool_iff in B. apply Qeq_eqR in B. rewrite <- E in B. apply eqR_Qeq in B.
    apply Qeq_bool_iff in B. congruence.
  - rewrite E. reflexivity.
Qed.

(** ** Quantities *)

Definition sqR (l : list R) : R := fold_right Rplus 0 (map (fun x => x * x) l).
Definition sqdistR (s : StR) : R := sqR (rzip Rminus (rS s) (rS' s)).
Definition distR (s : StR) : R := sqrt (sqdistR s).
Definition hit_is (z : Z) (h : option Z) : bool := match h with Some x => Z.eqb x z | None => false end.
Definition steps_toR (c : TwinR) (t : Z) : option nat :=
  if Z.leb (firstR c) t then Some (Z.to_nat (t - firstR c)) else None.


Definition stmaxR (c : TwinR) (g : list R -> list Q -> R) (s : StR) : R :=
  fold_right (fun z acc => Rmax (g (rS s) z) (Rmax (g (rS' s) z) acc)) (g (rS s) (hd [] (exR c))) (exR c ++ exR' c).
Definition maxLR (f : StR -> R) (l : list (StR * Q)) : option R :=
  match l with [] => None | (s, _) :: r => Some (fold_right (fun sp acc => Rmax (f (fst sp)) acc) (f s) r) end.
Definition gradsqR (c : TwinR) (w : list R) (z : list Q) : R := sqR (snd (rdual (dimR c) w (map Q2R z) (lossR c))).
Definition lossvR (c : TwinR) (w : list R) (z : list Q) : R := fst (rdual (dimR c) w (map Q2R z) (lossR c)).

(** the reached-region statistics at T: over the iterates of both runs after 0 .. T-F-1
    steps and every example of S and S' *)
Definition reachR (c : TwinR) (k : nat) (t : Z) : option R :=
  match steps_toR c t with
  | Some m => let h := histR c m (firstR c) (lawR c 0) in
      match k with
      | 7%nat => option_map sqrt (maxLR (stmaxR c (gradsqR c)) h)
      | 8%nat => option_map Ropp (maxLR (stmaxR c (fun w z => - lossvR c w z)) h)
      | _ => maxLR (stmaxR c (lossvR c)) h
      end
  | None => None
  end.

Definition ind1 (z : Z) (h : option Z) : Q := ind (hit_is z h).

(** whether the runs agree, and ratios of two real expectations *)
Definition zeroR (s : StR) : bool := if list_eq_dec Req_EM_T (rS s) (rS' s) then true else false.
Definition eqR (s : StR) : R := if zeroR s then 1 else 0.
Definition ratio2R (l : list (StR * Q)) (f g : StR -> R) : option R :=
  if Req_EM_T (sumR g l) 0 then None else Some (sumR f l / sumR g l).

(** the law at [t] of the runs whose iterates at [t0] agree ([zero = true]) or differ *)
Definition givenR (c : TwinR) (zero : bool) (t t0 : Z) : option (list (StR * Q)) :=
  match steps_toR c t0 with
  | Some m0 =>
      if Z.leb t0 t then
        Some (runR c (Z.to_nat (t - t0)) t0 (filter (fun sp => Bool.eqb (zeroR (fst sp)) zero) (lawR c m0)))
      else None
  | None => None
  end.

(** a quantity of the real process, by definition *)
Definition quantR (c : TwinR) (k : nat) (ts : list Z) : option R :=
  match k, ts with
  | 3%nat, [t] =>
      match steps_toR c t with Some m => ratioR (lawR c m) eqR (fun _ => 1%Q) | None => None end
  | 4%nat, [t] =>
      match steps_toR c t with
      | Some m => ratio2R (lawR c m) (fun s => distR s * (1 - eqR s)) (fun s => 1 - eqR s) | None => None end
  | 10%nat, [t; t0] | 11%nat, [t; t0] =>
      match givenR c (Nat.eqb k 10) t t0 with Some l => ratio2R l distR (fun _ => 1) | None => None end
  | 0%nat, [t] | 2%nat, [t] =>
      match steps_toR c t with Some m => ratioR (lawR c m) distR (fun _ => 1%Q) | None => None end
  | 1%nat, [t] =>
      match steps_toR c t with Some m => ratioR (lawR c m) sqdistR (fun _ => 1%Q) | None => None end
  | 5%nat, [z] =>
      match steps_toR c (z + 1) with
      | Some m => ratioR (lawR c m) (fun s => Q2R (ind1 z (rhit s))) (fun _ => 1%Q) | None => None end
  | 6%nat, [t; z] =>
      match steps_toR c t with
      | Some m => ratioR (lawR c m) (fun s => distR s * Q2R (ind1 z (rhit s))) (ind1 z) | None => None end
  | 7%nat, [t] | 8%nat, [t] | 9%nat, [t] => reachR c k t
  | _, _ => None
  end.

Section QB.
Variable prec : JI.precision.

Definition sqI (l : list JI.type) : JI.type := fold_right (JI.add prec) (ofQ prec 0) (map (JI.sqr prec) l).
Definition sqdistB (s : StB) : JI.type := sqI (izip (JI.sub prec) (bS s) (bS' s)).
Definition distB (s : StB) : JI.type :=
  match izip (JI.sub prec) (bS s) (bS' s) with [D] => JI.abs D | ds => JI.sqrt prec (sqI ds) end.
Definition ratioB (l : list (StB * Q)) (F : StB -> JI.type) (g : option Z -> Q) : option JI.type :=
  let den := sumD (fun s => g (bhit s)) l in
  if Qeq_bool den 0 then None else Some (JI.div prec (sumI prec F l) (ofQ prec den)).
Definition imax (X Y : JI.type) : JI.type :=
  JI.mul prec (ofQ prec (1#2)) (JI.add prec (JI.add prec X Y) (JI.abs (JI.sub prec X Y))).
Definition stmaxB (c : TwinR) (G : list JI.type -> list Q -> JI.type) (s : StB) : JI.type :=
  fold_right (fun z acc => imax (G (bS s) z) (imax (G (bS' s) z) acc)) (G (bS s) (hd [] (exR c))) (exR c ++ exR' c).
Definition maxLB (F : StB -> JI.type) (l : list (StB * Q)) : option JI.type :=
  match l with [] => None | (s, _) :: r => Some (fold_right (fun sp acc => imax (F (fst sp)) acc) (F s) r) end.
Definition gradsqB (c : TwinR) (w : list JI.type) (z : list Q) : JI.type :=
  sqI (snd (idual prec (dimR c) w (map (ofQ prec) z) (lossR c))).
Definition lossvB (c : TwinR) (w : list JI.type) (z : list Q) : JI.type :=
  fst (idual prec (dimR c) w (map (ofQ prec) z) (lossR c)).
Definition reachB (c : TwinR) (k : nat) (t : Z) : option JI.type :=
  match steps_toR c t with
  | Some m => let h := histB prec c m (firstR c) (lawB prec c 0) in
      match k with
      | 7%nat => option_map (JI.sqrt prec) (maxLB (stmaxB c (gradsqB c)) h)
      | 8%nat => option_map JI.neg (maxLB (stmaxB c (fun w z => JI.neg (lossvB c w z))) h)
      | _ => maxLB (stmaxB c (lossvB c)) h
      end
  | None => None
  end.

(** whether two boxes are apart in some coordinate (then the runs differ) *)
Definition apart (W W' : list JI.type) : bool :=
  existsb (fun D => match JI.sign_strict D with Xlt | Xgt => true | _ => false end) (izip (JI.sub prec) W W').
(** the runs agree (no differing example drawn), differ (apart), or either *)
Definition decB (s : StB) : option bool :=
  match bhit s with None => Some true | Some _ => if apart (bS s) (bS' s) then Some false else None end.
Definition eqB (s : StB) : JI.type :=
  match decB s with Some true => ofQ prec 1 | Some false => ofQ prec 0 | None => JI.join (ofQ prec 0) (ofQ prec 1) end.
Definition ratio2B (l : list (StB * Q)) (F G : StB -> JI.type) : option JI.type :=
  let D := sumI prec G l in
  match JI.sign_strict D with Xgt => Some (JI.div prec (sumI prec F l) D) | _ => None end.
(** the box law restricted to the states whose runs agree ([zero = true]) or differ, where
    every state is decided *)
Definition restrictB (zero : bool) (l : list (StB * Q)) : option (list (StB * Q)) :=
  if forallb (fun sp => match decB (fst sp) with Some _ => true | None => false end) l
  then Some (filter (fun sp => match decB (fst sp) with Some z => Bool.eqb z zero | None => false end) l)
  else None.
Definition givenB (c : TwinR) (zero : bool) (t t0 : Z) : option (list (StB * Q)) :=
  match steps_toR c t0 with
  | Some m0 =>
      if Z.leb t0 t then
        match restrictB zero (lawBL prec c m0) with
        | Some l => Some (runBL prec c (Z.to_nat (t - t0)) t0 l)
        | None => None
        end
      else None
  | None => None
  end.

(** the same quantity, enclosed: what certificates compute *)
Definition quantB (c : TwinR) (k : nat) (ts : list Z) : option JI.type :=
  match k, ts with
  | 3%nat, [t] =>
      match steps_toR c t with Some m => ratioB (lawBL prec c m) eqB (fun _ => 1%Q) | None => None end
  | 4%nat, [t] =>
      match steps_toR c t with
      | Some m => ratio2B (lawBL prec c m) (fun s => JI.mul prec (distB s) (JI.sub prec (ofQ prec 1) (eqB s)))
                    (fun s => JI.sub prec (ofQ prec 1) (eqB s))
      | None => None end
  | 10%nat, [t; t0] | 11%nat, [t; t0] =>
      match givenB c (Nat.eqb k 10) t t0 with Some l => ratio2B l distB (fun _ => ofQ prec 1) | None => None end
  | 0%nat, [t] | 2%nat, [t] =>
      match steps_toR c t with Some m => ratioB (lawBL prec c m) distB (fun _ => 1%Q) | None => None end
  | 1%nat, [t] =>
      match steps_toR c t with Some m => ratioB (lawBL prec c m) sqdistB (fun _ => 1%Q) | None => None end
  | 5%nat, [z] =>
      match steps_toR c (z + 1) with
      | Some m => ratioB (lawBL prec c m) (fun s => ofQ prec (ind1 z (bhit s))) (fun _ => 1%Q) | None => None end
  | 6%nat, [t; z] =>
      match steps_toR c t with
      | Some m => ratioB (lawBL prec c m) (fun s => JI.mul prec (distB s) (ofQ prec (ind1 z (bhit s)))) (ind1 z)
      | None => None end
  | 7%nat, [t] | 8%nat, [t] | 9%nat, [t] => reachB c k t
  | _, _ => None
  end.

Definition orin (oX : option JI.type) (ox : option R) : Prop :=
  match oX, ox with Some X, Some x => rin X x | None, None => True | _, _ => False end.

Lemma sqI_sound : forall A a, Forall2 rin A a -> rin (sqI A) (sqR a).
Proof.
  intros A a H. induction H as [|X x A a Hx H IH]; [apply rin_0|].
  cbn [sqI sqR map fold_right]. apply ext_add; [|exact IH].
  exact (JI.sqr_correct prec X (Xreal x) Hx).
Qed.

Lemma dist_sound : forall b r, al b r -> rin (distB (fst b)) (distR (fst r)).
Proof.
  intros b r (_ & _ & _ & HS & HS'). unfold distB, distR, sqdistR.
  pose proof (Forall2_zip (JI.sub prec) Rminus ltac:(intros; apply ext_sub; assumption) _ _ HS _ _ HS') as D.
  revert D. generalize (izip (JI.sub prec) (bS (fst b)) (bS' (fst b))), (rzip Rminus (rS (fst r)) (rS' (fst r))).
  intros Ds ds D. destruct D as [|X x Ds ds Hx D]; [apply ext_sqrt, sqI_sound; constructor|].
  destruct D as [|Y y Ds' ds' Hy D'].
  - cbn [sqR map fold_right]. rewrite Rplus_0_r. change (x * x) with (Rsqr x). rewrite sqrt_Rsqr_abs.
    apply ext_abs, Hx.
  - apply ext_sqrt, sqI_sound. repeat constructor; assumption.
Qed.

Lemma sqdist_sound : forall b r, al b r -> rin (sqdistB (fst b)) (sqdistR (fst r)).
Proof.
  intros b r (_ & _ & _ & HS & HS'). apply sqI_sound.
  apply (Forall2_zip (JI.sub prec) Rminus); [intros; apply ext_sub; assumption | exact HS | exact HS'].
Qed.

Lemma Rmax_half : forall x y, Rmax x y = Q2R (1#2) * (x + y + Rabs (x - y)).
Proof.
  intros x y. unfold Q2R; cbn [Qnum Qden]. unfold Rmax. destruct (Rle_dec x y).
  - rewrite Rabs_left1 by lra. field.
  - rewrite Rabs_right by lra. field.
Qed.

Lemma imax_sound : forall X Y x y, rin X x -> rin Y y -> rin (imax X Y) (Rmax x y).
Proof.
  intros X Y x y Hx Hy. rewrite Rmax_half. unfold imax.
  apply ext_mul; [apply rin_Q|]. apply ext_add; [apply ext_add; assumption|].
  apply ext_abs, ext_sub; assumption.
Qed.

Lemma stmax_sound : forall c G g b r, (forall W w z, Forall2 rin W w -> rin (G W z) (g w z)) ->
  al b r -> rin (stmaxB c G (fst b)) (stmaxR c g (fst r)).
Proof.
  intros c G g b r Hg A. destruct A as (_ & _ & _ & HS & HS'). unfold stmaxB, stmaxR.
  induction (exR c ++ exR' c) as [|z zs IH]; cbn [fold_right]; [apply Hg, HS|].
  apply imax_sound; [apply Hg, HS|]. apply imax_sound; [apply Hg, HS' | exact IH].
Qed.

Lemma maxL_sound : forall F f lb lr, Forall2 al lb lr ->
  (forall b r, al b r -> rin (F (fst b)) (f (fst r))) -> orin (maxLB F lb) (maxLR f lr).
Proof.
  intros F f lb lr H Hf. destruct H as [|b r lb lr A H]; [exact I|].
  destruct b as [s p], r as [s' p']. cbn [maxLB maxLR orin].
  induction H as [|b r lb lr A' H IH]; cbn [fold_right]; [apply (Hf _ _ A)|].
  apply imax_sound; [apply Hf, A' | exact IH].
Qed.

Lemma gradsq_sound : forall c W w z, Forall2 rin W w -> rin (gradsqB c W z) (gradsqR c w z).
Proof. intros c W w z H. apply sqI_sound, idual_sound; [exact H | apply Forall2_ofQ]. Qed.

Lemma lossv_sound : forall c W w z, Forall2 rin W w -> rin (lossvB c W z) (lossvR c w z).
Proof. intros c W w z H. apply idual_sound; [exact H | apply Forall2_ofQ]. Qed.

Lemma start_aligned : forall c, Forall2 al (lawB prec c 0) (lawR c 0).
Proof. intro c. apply (law_aligned prec c 0). Qed.

Lemma reach_sound : forall c k t, orin (reachB c k t) (reachR c k t).
Proof.
  intros c k t. unfold reachB, reachR. destruct (steps_toR c t) as [m|]; [|exact I].
  pose proof (hist_aligned prec c m (firstR c) _ _ (start_aligned c)) as H.
  assert (G : forall F f, (forall b r, al b r -> rin (F (fst b)) (f (fst r))) ->
            forall (P : JI.type -> JI.type) (p : R -> R), (forall X x, rin X x -> rin (P X) (p x)) ->
            orin (option_map P (maxLB F (histB prec c m (firstR c) (lawB prec c 0))))
                 (option_map p (maxLR f (histR c m (firstR c) (lawR c 0))))).
  { intros F f Hf P p Hp. pose proof (maxL_sound F f _ _ H Hf) as M.
    destruct (maxLB F _), (maxLR f _); cbn in M |- *; try contradiction; auto. }
  destruct k as [|[|[|[|[|[|[|[|k]]]]]]]];
    try (apply maxL_sound; [exact H | intros b r A; apply stmax_sound; [exact (lossv_sound c) | exact A]]; fail).
  - refine (G (stmaxB c (gradsqB c)) (stmaxR c (gradsqR c)) _ (JI.sqrt prec) sqrt _).
    + intros b r A. apply stmax_sound; [exact (gradsq_sound c) | exact A].
    + intros X x Hx. apply ext_sqrt, Hx.
  - destruct k as [|k].
    + refine (G (stmaxB c (fun w z => JI.neg (lossvB c w z))) (stmaxR c (fun w z => - lossvR c w z)) _ JI.neg Ropp _).
      * intros b r A. apply stmax_sound; [|exact A]. intros W w z HW. apply ext_neg, lossv_sound, HW.
      * intros X x Hx. apply ext_neg, Hx.
    + apply maxL_sound; [exact H | intros b r A; apply stmax_sound; [exact (lossv_sound c) | exact A]].
Qed.

Definition osound (oX : option JI.type) (ox : option R) : Prop :=
  match oX with Some X => exists x, ox = Some x /\ rin X x | None => True end.

Lemma orin_osound : forall oX ox, orin oX ox -> osound oX ox.
Proof. intros [X|] [x|] H; cbn in *; try contradiction; eauto. Qed.

Lemma Forall2_weaken : forall (P1 P2 : StB * Q -> StR * Q -> Prop) lb lr,
  (forall b r, P1 b r -> P2 b r) -> Forall2 P1 lb lr -> Forall2 P2 lb lr.
Proof. intros P1 P2 lb lr H F. induction F; constructor; auto. Qed.

Lemma sum_sound : forall (P : StB * Q -> StR * Q -> Prop) F f lb lr, (forall b r, P b r -> al b r) ->
  (forall b r, P b r -> rin (F (fst b)) (f (fst r))) -> Forall2 P lb lr -> rin (sumI prec F lb) (sumR f lr).
Proof.
  intros P F f lb lr HP Hf H. induction H as [|b r lb lr A H IH]; [apply rin_0|].
  cbn [sumI sumR fold_right]. apply ext_add; [|exact IH]. apply ext_mul; [|apply Hf, A].
  destruct (HP _ _ A) as [Ep _]. rewrite Ep. apply rin_Q.
Qed.

Lemma ratio_sound : forall (P : StB * Q -> StR * Q -> Prop) lb lr F f g, (forall b r, P b r -> al b r) ->
  Forall2 P lb lr -> (forall b r, P b r -> rin (F (fst b)) (f (fst r))) -> orin (ratioB lb F g) (ratioR lr f g).
Proof.
  intros P lb lr F f g HP H Hf. unfold ratioB, ratioR.
  rewrite (sumD_aligned (fun _ h => g h) lb lr (Forall2_weaken _ _ _ _ HP H)).
  destruct (Qeq_bool _ 0); [exact I|]. cbn [orin].
  apply ext_div; [apply (sum_sound P); assumption | apply rin_Q].
Qed.

Lemma ratio2_sound : forall (P : StB * Q -> StR * Q -> Prop) lb lr F f G g, (forall b r, P b r -> al b r) ->
  Forall2 P lb lr -> (forall b r, P b r -> rin (F (fst b)) (f (fst r))) ->
  (forall b r, P b r -> rin (G (fst b)) (g (fst r))) -> osound (ratio2B lb F G) (ratio2R lr f g).
Proof.
  intros P lb lr F f G g HP H Hf Hg. unfold ratio2B, ratio2R.
  pose proof (sum_sound P G g lb lr HP Hg H) as D. pose proof (JI.sign_strict_correct (sumI prec G lb)) as S.
  destruct (JI.sign_strict (sumI prec G lb)); try exact I.
  destruct (S _ D) as [_ Pos]. cbn [proj_val] in Pos.
  destruct (Req_EM_T (sumR g lr) 0) as [E|E]; [lra|].
  eexists; split; [reflexivity|]. apply ext_div; [apply (sum_sound P); assumption | exact D].
Qed.

Lemma combine_self : forall (w : list R), combine w w = map (fun x => (x, x)) w.
Proof. induction w as [|x w IH]; cbn; [reflexivity | rewrite IH; reflexivity]. Qed.

Lemma rzip_self : forall w d, In d (rzip Rminus w w) -> d = 0.
Proof.
  intros w d. unfold rzip. rewrite combine_self, map_map, in_map_iff. intros [x [E _]].
  cbn in E. lra.
Qed.

Lemma apart_sound : forall Ds ds, Forall2 rin Ds ds ->
  existsb (fun D => match JI.sign_strict D with Xlt | Xgt => true | _ => false end) Ds = true ->
  exists d, In d ds /\ d <> 0.
Proof.
  intros Ds ds H. induction H as [|X x Ds ds Hx H IH]; [discriminate|]. cbn [existsb]. intro E.
  apply orb_true_iff in E as [E|E].
  - exists x. split; [left; reflexivity|]. pose proof (JI.sign_strict_correct X) as S.
    destruct (JI.sign_strict X); try discriminate; destruct (S _ Hx) as [_ Pos]; cbn [proj_val] in Pos; lra.
  - destruct (IH E) as [d [I N]]. exists d. split; [right; exact I | exact N].
Qed.

Lemma decB_sound : forall b r z, al b r -> inv (fst r) -> decB (fst b) = Some z -> zeroR (fst r) = z.
Proof.
  intros b r z A Iv D. destruct A as (_ & _ & Eh & HS & HS'). unfold decB in D. unfold zeroR.
  destruct (bhit (fst b)) as [h|] eqn:Hb.
  - destruct (apart (bS (fst b)) (bS' (fst b))) eqn:Ap; [|discriminate]. injection D as <-.
    destruct (list_eq_dec Req_EM_T (rS (fst r)) (rS' (fst r))) as [E|E]; [|reflexivity]. exfalso.
    pose proof (Forall2_zip (JI.sub prec) Rminus ltac:(intros; apply ext_sub; assumption) _ _ HS _ _ HS') as Z.
    destruct (apart_sound _ _ Z Ap) as [d [Id N]]. rewrite E in Id. apply N, (rzip_self _ _ Id).
  - injection D as <-. rewrite (Iv (eq_sym Eh)).
    destruct (list_eq_dec Req_EM_T (rS' (fst r)) (rS' (fst r))) as [_|E]; [reflexivity | exfalso; apply E; reflexivity].
Qed.

Lemma eqB_sound : forall b r, al b r -> inv (fst r) -> rin (eqB (fst b)) (eqR (fst r)).
Proof.
  intros b r A Iv. unfold eqB, eqR. destruct (decB (fst b)) as [z|] eqn:D.
  - rewrite (decB_sound b r z A Iv D). destruct z; [apply rin_1 | apply rin_0].
  - destruct (zeroR (fst r)); apply JI.join_correct; [right; apply rin_1 | left; apply rin_0].
Qed.

Lemma restrict_sound : forall zero lb lr lb', Forall2 (fun b r => al b r /\ inv (fst r)) lb lr ->
  restrictB zero lb = Some lb' -> Forall2 al lb' (filter (fun sp => Bool.eqb (zeroR (fst sp)) zero) lr).
Proof.
  intros zero lb lr lb' H Rs. unfold restrictB in Rs.
  destruct (forallb _ lb) eqn:F; [|discriminate]. injection Rs as <-.
  induction H as [|b r lb lr [A Iv] H IH]; [constructor|].
  cbn [forallb] in F. apply andb_true_iff in F as [Fb F].
  cbn [filter]. destruct (decB (fst b)) as [z|] eqn:D; [|discriminate].
  rewrite (decB_sound b r z A Iv D). destruct (Bool.eqb z zero); [constructor; [exact A|]|]; apply IH, F.
Qed.

Lemma ratio2_same : forall l1 l2 f g, same l1 l2 -> ratio2R l1 f g = ratio2R l2 f g.
Proof. intros l1 l2 f g H. unfold ratio2R. rewrite (H f), (H g). reflexivity. Qed.

Lemma quant_sound : forall c k ts, osound (quantB c k ts) (quantR c k ts).
Proof.
  intros c k ts.
  pose proof (fun m => lawBL_aligned prec c m) as L.
  pose proof (fun m => Forall2_inv _ _ (lawBL_aligned prec c m) (lawRL_inv c m)) as LI.
  assert (ALI : forall b r, al b r /\ inv (fst r) -> al b r) by (intros b r [A _]; exact A).
  assert (Same : forall m, same (lawRL c m) (lawR c m)) by (intros m f; apply lawRL_sum).
  assert (G : forall zero t t',
    osound (match givenB c zero t t' with Some l => ratio2B l distB (fun _ => ofQ prec 1) | None => None end)
           (match givenR c zero t t' with Some l => ratio2R l distR (fun _ => 1) | None => None end)).
  { intros zero t t'. unfold givenB, givenR. destruct (steps_toR c t') as [m0|]; [|exact I].
    destruct (Z.leb t' t); [|exact I].
    destruct (restrictB zero (lawBL prec c m0)) as [lb|] eqn:Rs; [|exact I].
    assert (E : ratio2R (runRL c (Z.to_nat (t - t')) t' (filter (fun sp => Bool.eqb (zeroR (fst sp)) zero) (lawRL c m0))) distR (fun _ => 1)
              = ratio2R (runR c (Z.to_nat (t - t')) t' (filter (fun sp => Bool.eqb (zeroR (fst sp)) zero) (lawR c m0))) distR (fun _ => 1)).
    { apply ratio2_same, run_same, (filter_same (fun s => Bool.eqb (zeroR s) zero)), Same. }
    rewrite <- E. apply (ratio2_sound al _ _ _ _ _ _ (fun b r A => A)).
    - apply runL_aligned, (restrict_sound zero _ _ _ (LI m0) Rs).
    - intros b r A. apply dist_sound, A.
    - intros b r A. apply rin_1. }
  unfold quantB, quantR.
  destruct k as [|[|[|[|[|[|[|[|[|[|[|[|k]]]]]]]]]]]]; try exact I;
  (destruct ts as [|t [|t' [|]]]; try exact I).
  - destruct (steps_toR c t) as [m|]; [|exact I]. rewrite <- ratio_lump.
    apply orin_osound, (ratio_sound al); [intros b r A; exact A | apply L | apply dist_sound].
  - destruct (steps_toR c t) as [m|]; [|exact I]. rewrite <- ratio_lump.
    apply orin_osound, (ratio_sound al); [intros b r A; exact A | apply L | apply sqdist_sound].
  - destruct (steps_toR c t) as [m|]; [|exact I]. rewrite <- ratio_lump.
    apply orin_osound, (ratio_sound al); [intros b r A; exact A | apply L | apply dist_sound].
  - destruct (steps_toR c t) as [m|]; [|exact I]. rewrite <- ratio_lump.
    apply orin_osound, (ratio_sound _ _ _ _ _ _ ALI (LI m)). intros b r [A Iv]. apply eqB_sound; assumption.
  - destruct (steps_toR c t) as [m|]; [|exact I]. rewrite <- (ratio2_same _ _ _ _ (Same m)).
    apply (ratio2_sound _ _ _ _ _ _ _ ALI (LI m)).
    + intros b r [A Iv]. apply ext_mul; [apply dist_sound, A|]. apply ext_sub; [apply rin_1 | apply eqB_sound; assumption].
    + intros b r [A Iv]. apply ext_sub; [apply rin_1 | apply eqB_sound; assumption].
  - destruct (steps_toR c (t + 1)) as [m|]; [|exact I]. rewrite <- ratio_lump.
    apply orin_osound, (ratio_sound al); [intros b r A; exact A | apply L|]. intros b r (_ & _ & Eh & _). rewrite Eh. apply rin_Q.
  - destruct (steps_toR c t) as [m|]; [|exact I]. rewrite <- ratio_lump.
    apply orin_osound, (ratio_sound al); [intros b r A; exact A | apply L|]. intros b r A. pose proof (dist_sound b r A) as D.
    destruct A as (_ & _ & Eh & _). rewrite Eh. apply ext_mul; [exact D | apply rin_Q].
  - apply orin_osound, reach_sound.
  - apply orin_osound, reach_sound.
  - apply orin_osound, reach_sound.
  - apply G.
  - apply G.
Qed.

End QB.

(** ** Claims *)

Record TwinSpecR := {
  rsloss : LR; rsdim : nat; rsS : list (list E); rsS' : list (list E);
  rsstep : E; rsfirst : E; rsstart : list E; rsreshuffle : bool }.

Definition instantiateR (sp : TwinSpecR) (env : list Q) : option TwinR :=
  match evalRows env (rsS sp), evalRows env (rsS' sp), evalAll env (rsstart sp),
        match evalQ env (rsfirst sp) with Some f => qint f | None => None end with
  | Some s, Some s', Some w0, Some f =>
      Some {| lossR := rsloss sp; dimR := rsdim sp; exR := s; exR' := s';
              alphaR := fun t => match evalQ (inject_Z t :: env) (rsstep sp) with Some a => Qred a | None => 0%Q end;
              firstR := f; w0R := w0; reshuffleR := rsreshuffle sp |}
  | _, _, _, _ => None
  end.

Fixpoint callsR (c : TwinR) (env : list Q) (calls : list (nat * list E)) : option (list R) :=
  match calls with
  | [] => Some []
  | (k, ts) :: r =>
      match times env ts, callsR c env r with
      | Some zs, Some xs => match quantR c k zs with Some q => Some (q :: xs) | None => None end
      | _, _ => None
      end
  end.

Fixpoint callsB (prec : JI.precision) (c : TwinR) (env : list Q) (calls : list (nat * list E)) : option (list JI.type) :=
  match calls with
  | [] => Some []
  | (k, ts) :: r =>
      match times env ts, callsB prec c env r with
      | Some zs, Some xs => match quantB prec c k zs with Some q => Some (q :: xs) | None => None end
      | _, _ => None
      end
  end.

Lemma calls_sound : forall prec c env calls Xs, callsB prec c env calls = Some Xs ->
  exists xs, callsR c env calls = Some xs /\ Forall2 rin Xs xs.
Proof.
  intros prec c env calls. induction calls as [|[k ts] r IH]; intros Xs H; cbn [callsB callsR] in *.
  - injection H as <-. exists []. split; constructor.
  - destruct (times env ts) as [zs|]; [|discriminate].
    destruct (callsB prec c env r) as [Ys|]; [|discriminate].
    destruct (IH Ys eq_refl) as [ys [-> Hys]].
    pose proof (quant_sound prec c k zs) as Q'.
    destruct (quantB prec c k zs) as [X|]; [|discriminate]. injection H as <-.
    destruct Q' as [x [Ex Hx]]. rewrite Ex.
    exists (x :: ys). split; [reflexivity | constructor; assumption].
Qed.

Definition extRv (sp : TwinSpecR) (calls : list (nat * list E)) (env : list Q) : option (list R) :=
  match instantiateR sp env with Some c => callsR c env calls | None => None end.
Definition extBv (prec : JI.precision) (sp : TwinSpecR) (calls : list (nat * list E)) (env : list Q) : option (list JI.type) :=
  match instantiateR sp env with Some c => callsB prec c env calls | None => None end.

Lemma ext_sound : forall prec sp calls env Xs, extBv prec sp calls env = Some Xs ->
  exists xs, extRv sp calls env = Some xs /\ Forall2 rin Xs xs.
Proof.
  intros prec sp calls env Xs H. unfold extBv, extRv in *.
  destruct (instantiateR sp env) as [c|]; [|discriminate]. exact (calls_sound prec c env calls Xs H).
Qed.

Lemma Forall2_Iv : forall Xs xs, Forall2 rin Xs xs -> Forall2 vrel (map Iv Xs) xs.
Proof. intros Xs xs H. induction H; constructor; assumption. Qed.

(** The relation at a point of the domain, its quantities those of the real twin process
    there (by definition: the law with one entry per index sequence). *)
Definition ClaimExtR (r : Rel) (lhs rhs : E) (sp : TwinSpecR) (calls : list (nat * list E)) (envR : list R) : Prop :=
  forall envQ, envR = map Q2R envQ ->
  exists xs, extRv sp calls (map Qred envQ) = Some xs /\ Claim r lhs rhs (envR ++ xs).

Definition checkExtR (prec : JI.precision) (r : Rel) (lhs rhs : E) (sp : TwinSpecR) (calls : list (nat * list E)) (env : list bigQ) : bool :=
  match extBv prec sp calls (map Qred (map BigQ.to_Q env)) with
  | Some Xs => checkJ prec r lhs rhs (map Ex env ++ map Iv Xs)
  | None => false
  end.

Lemma checkExtR_sound : forall prec r lhs rhs sp calls env,
  checkExtR prec r lhs rhs sp calls env = true -> ClaimExtR r lhs rhs sp calls (map B2R env).
Proof.
  unfold checkExtR, ClaimExtR. intros prec r lhs rhs sp calls env H envQ HE.
  destruct (extBv prec sp calls (map Qred (map BigQ.to_Q env))) as [Xs|] eqn:X; [|discriminate].
  destruct (ext_sound _ _ _ _ _ X) as [xs [Hx Hr]]. exists xs. split.
  - assert (map Qred envQ = map Qred (map BigQ.to_Q env)) as ->; [|exact Hx].
    apply map_Q2R_red. rewrite <- HE. unfold B2R. rewrite map_map. reflexivity.
  - apply (checkJ_sound prec r lhs rhs (map Ex env ++ map Iv Xs)); [|exact H].
    apply Forall2_app; [apply Forall2_map_Ex | apply Forall2_Iv, Hr].
Qed.

(** The relation fails at a point, its quantities those of the real twin process there:
    interval evaluation separates the sides the other way. *)
Definition RefutedExtR (r : Rel) (lhs rhs : E) (sp : TwinSpecR) (calls : list (nat * list E)) (point : list Q) : Prop :=
  exists xs, extRv sp calls (map Qred point) = Some xs /\ ~ Claim r lhs rhs (map Q2R point ++ xs).

Definition negJ (prec : JI.precision) (r : Rel) (lhs rhs : E) (env : list V) : bool :=
  match r with
  | Le => checkJ prec Gt lhs rhs env
  | Lt => checkJ prec Ge lhs rhs env
  | Ge => checkJ prec Lt lhs rhs env
  | Gt => checkJ prec Le lhs rhs env
  | Eq => checkJ prec Lt lhs rhs env || checkJ prec Gt lhs rhs env
  end.

Lemma negJ_sound : forall prec r lhs rhs env envR, Forall2 vrel env envR ->
  negJ prec r lhs rhs env = true -> ~ Claim r lhs rhs envR.
Proof.
  intros prec r lhs rhs env envR H N. unfold Claim.
  destruct r; cbn [negJ holdsR] in *;
    try (pose proof (checkJ_sound _ _ _ _ _ _ H N) as C; unfold Claim in C; cbn [holdsR] in C; lra).
  apply orb_true_iff in N as [N|N]; pose proof (checkJ_sound _ _ _ _ _ _ H N) as C;
    unfold Claim in C; cbn [holdsR] in C; lra.
Qed.

Definition refuteExtR (prec : JI.precision) (r : Rel) (lhs rhs : E) (sp : TwinSpecR) (calls : list (nat * list E)) (point : list Q) : bool :=
  match extBv prec sp calls (map Qred point) with
  | Some Xs => negJ prec r lhs rhs (map Ex (map BigQ.of_Q point) ++ map Iv Xs)
  | None => false
  end.

Lemma refuteExtR_sound : forall prec r lhs rhs sp calls point,
  refuteExtR prec r lhs rhs sp calls point = true -> RefutedExtR r lhs rhs sp calls point.
Proof.
  unfold refuteExtR, RefutedExtR. intros prec r lhs rhs sp calls point H.
  destruct (extBv prec sp calls (map Qred point)) as [Xs|] eqn:X; [|discriminate].
  destruct (ext_sound _ _ _ _ _ X) as [xs [Hx Hr]]. exists xs. split; [exact Hx|].
  apply (negJ_sound prec r lhs rhs (map Ex (map BigQ.of_Q point) ++ map Iv Xs)); [|exact H].
  apply Forall2_app; [|apply Forall2_Iv, Hr].
  replace (map Q2R point) with (map B2R (map BigQ.of_Q point)); [apply Forall2_map_Ex|].
  rewrite map_map. apply map_ext. intro; apply B2R_of_Q.
Qed.
