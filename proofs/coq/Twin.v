(** * Twin SGD on a construction given by its loss, in exact rationals

    The process: a loss [L] in the weights and the fields of an example, its value and
    gradient by forward-mode differentiation with stabcert's conventions at kinks
    ([abs'(0) = 0]; [min] and [max] follow the first argument attaining the value;
    [floor] and [ceil] have derivative 0), two runs from the same start on S and S'
    drawing the same index at every step (uniformly with replacement, or by a fresh
    permutation every n steps). Division is Coq's total [Qdiv] (x / 0 = 0); stabcert
    makes certificates only where no division by zero occurs, where the two agree.

    [lawU k] is the law after [k] steps by definition: one entry per index sequence, with
    its probability. [lawM k] is what certificates compute: after every step, entries with
    the same state are merged. [lawM_sound]: every expectation [sumL f] is the same. *)

From Coq Require Import ZArith QArith Qabs Qround List Bool Lia.
Import ListNotations.
Open Scope Q_scope.

Inductive L : Type :=
| LC (q : Q) | LW (k : nat) | LF (k : nat)
| LNeg (a : L) | LAdd (a b : L) | LSub (a b : L) | LMul (a b : L) | LDiv (a b : L)
| LPow (a : L) (n : Z)
| LAbs (a : L) | LMin (a b : L) | LMax (a b : L) | LFloor (a : L) | LCeil (a : L).

Definition vzip (f : Q -> Q -> Q) (a b : list Q) : list Q := map (fun p => Qred (f (fst p) (snd p))) (combine a b).
Definition vscale (c : Q) (a : list Q) : list Q := map (fun x => Qred (c * x)) a.
Definition zeros (d : nat) : list Q := repeat 0 d.
Definition unit (d k : nat) : list Q := map (fun j => if Nat.eqb j k then 1 else 0) (seq 0 d).

Fixpoint qpowN (x : Q) (n : nat) : Q := match n with O => 1 | S m => Qred (x * qpowN x m) end.
Definition qpowZ' (x : Q) (n : Z) : Q :=
  match n with Z0 => 1 | Zpos p => qpowN x (Pos.to_nat p) | Zneg p => Qred (/ qpowN x (Pos.to_nat p)) end.
Definition qsign (x : Q) : Q := if Qlt_le_dec 0 x then 1 else if Qeq_bool x 0 then 0 else -1.

(** value and gradient of [e] at weights [w] and fields [z] ([d] weights) *)
Fixpoint dual (d : nat) (w z : list Q) (e : L) : Q * list Q :=
  match e with
  | LC q => (Qred q, zeros d)
  | LW k => (nth k w 0, unit d k)
  | LF k => (nth k z 0, zeros d)
  | LNeg a => let (v, g) := dual d w z a in (Qred (- v), vscale (-1) g)
  | LAdd a b => let (v, g) := dual d w z a in let (u, h) := dual d w z b in
      (Qred (v + u), vzip Qplus g h)
  | LSub a b => let (v, g) := dual d w z a in let (u, h) := dual d w z b in
      (Qred (v - u), vzip Qminus g h)
  | LMul a b => let (v, g) := dual d w z a in let (u, h) := dual d w z b in
      (Qred (v * u), vzip Qplus (vscale u g) (vscale v h))
  | LDiv a b => let (v, g) := dual d w z a in let (u, h) := dual d w z b in
      (Qred (v / u), vscale (/ (u * u)) (vzip Qminus (vscale u g) (vscale v h)))
  | LPow a n => let (v, g) := dual d w z a in
      (qpowZ' v n, if Z.eqb n 0 then zeros d else vscale (inject_Z n * qpowZ' v (n - 1)) g)
  | LAbs a => let (v, g) := dual d w z a in (Qred (Qabs v), vscale (qsign v) g)
  | LMin a b => let (v, g) := dual d w z a in let (u, h) := dual d w z b in
      if Qle_bool v u then (v, g) else (u, h)
  | LMax a b => let (v, g) := dual d w z a in let (u, h) := dual d w z b in
      if Qle_bool u v then (v, g) else (u, h)
  | LFloor a => let (v, _) := dual d w z a in (inject_Z (Qfloor v), zeros d)
  | LCeil a => let (v, _) := dual d w z a in (inject_Z (Qceiling v), zeros d)
  end.

Record Twin := {
  loss : L; dim : nat; exS : list (list Q); exS' : list (list Q);
  alpha : Z -> Q; first : Z; start : list Q; reshuffle : bool }.

(** a state: both iterates, the examples drawn in the epoch, the first step that drew an
    example where S and S' differ *)
Record St := { wS : list Q; wS' : list Q; used : list bool; hit : option Z }.

Definition n (c : Twin) : nat := length (exS c).

Definition sgd (c : Twin) (t : Z) (w z : list Q) : list Q :=
  vzip Qminus w (vscale (alpha c t) (snd (dual (dim c) w z (loss c)))).

Fixpoint list_eqb {A} (eqb : A -> A -> bool) (a b : list A) : bool :=
  match a, b with
  | [], [] => true | x :: a', y :: b' => eqb x y && list_eqb eqb a' b' | _, _ => false end.
Definition qeqb (x y : Q) : bool := Z.eqb (Qnum x) (Qnum y) && Pos.eqb (Qden x) (Qden y).

Definition differs (c : Twin) (i : nat) : bool :=
  negb (list_eqb qeqb (nth i (exS c) []) (nth i (exS' c) [])).

(** the indices a state may draw *)
Definition choices (c : Twin) (s : St) : list nat :=
  if reshuffle c then filter (fun i => negb (nth i (used s) false)) (seq 0 (n c)) else seq 0 (n c).

Definition next (c : Twin) (t : Z) (s : St) (i : nat) : St :=
  {| wS := sgd c t (wS s) (nth i (exS c) []);
     wS' := sgd c t (wS' s) (nth i (exS' c) []);
     used := if reshuffle c then
               (let u := map (fun j => Nat.eqb j i || nth j (used s) false) (seq 0 (n c)) in
                if forallb (fun b => b) u then repeat false (n c) else u)
             else [];
     hit := match hit s with Some h => Some h | None => if differs c i then Some t else None end |}.

Definition law := list (St * Q).

Definition stepU (c : Twin) (t : Z) (l : law) : law :=
  flat_map (fun sp => let k := choices c (fst sp) in
    map (fun i => (next c t (fst sp) i, Qred (snd sp / inject_Z (Z.of_nat (length k))))) k) l.

Definition st_eqb (a b : St) : bool :=
  list_eqb qeqb (wS a) (wS b) && list_eqb qeqb (wS' a) (wS' b) && list_eqb Bool.eqb (used a) (used b)
  && match hit a, hit b with Some x, Some y => Z.eqb x y | None, None => true | _, _ => false end.

Fixpoint insert (s : St) (p : Q) (l : law) : law :=
  match l with
  | [] => [(s, p)]
  | (s', p') :: r => if st_eqb s s' then (s', Qred (p + p')) :: r else (s', p') :: insert s p r
  end.

Definition merge (l : law) : law := fold_right (fun sp acc => insert (fst sp) (snd sp) acc) [] l.

Definition start_law (c : Twin) : law :=
  [({| wS := start c; wS' := start c; used := if reshuffle c then repeat false (n c) else []; hit := None |}, 1)].

Fixpoint lawU (c : Twin) (k : nat) : law :=
  match k with O => start_law c | S m => stepU c (first c + Z.of_nat m) (lawU c m) end.
Fixpoint lawM (c : Twin) (k : nat) : law :=
  match k with O => start_law c | S m => merge (stepU c (first c + Z.of_nat m) (lawM c m)) end.

Definition sumL (f : St -> Q) (l : law) : Q := fold_right (fun sp acc => snd sp * f (fst sp) + acc) 0 l.

(** ** Soundness of merging *)

Lemma list_eqb_eq : forall {A} (eqb : A -> A -> bool), (forall x y, eqb x y = true -> x = y) ->
  forall a b, list_eqb eqb a b = true -> a = b.
Proof.
  intros A eqb H; induction a as [|x a IH]; destruct b as [|y b]; simpl; intro E; try discriminate; auto.
  apply andb_true_iff in E as [E1 E2]. f_equal; auto.
Qed.

Lemma qeqb_eq : forall x y, qeqb x y = true -> x = y.
Proof.
  intros [a b] [c d]; unfold qeqb; simpl; intro E. apply andb_true_iff in E as [E1 E2].
  apply Z.eqb_eq in E1; apply Pos.eqb_eq in E2; subst; reflexivity.
Qed.

Lemma st_eqb_eq : forall a b, st_eqb a b = true -> a = b.
Proof.
  intros [w w' u h] [v v' u' h']; unfold st_eqb; simpl; intro E.
  repeat rewrite andb_true_iff in E. destruct E as [[[E1 E2] E3] E4].
  apply (list_eqb_eq _ qeqb_eq) in E1; apply (list_eqb_eq _ qeqb_eq) in E2.
  apply (list_eqb_eq _ (fun x y H => proj1 (Bool.eqb_true_iff x y) H)) in E3.
  subst. f_equal. destruct h, h'; try discriminate; auto. apply Z.eqb_eq in E4; subst; auto.
Qed.

Lemma sumL_cons : forall f s p l, sumL f ((s, p) :: l) = p * f s + sumL f l.
Proof. reflexivity. Qed.

Lemma sum_insert : forall f s p l, sumL f (insert s p l) == p * f s + sumL f l.
Proof.
  intros f s p l; induction l as [|[s' p'] l IH]; cbn [insert].
  - rewrite sumL_cons. change (sumL f []) with 0. ring.
  - destruct (st_eqb s s') eqn:E.
    + apply st_eqb_eq in E; subst. rewrite !sumL_cons, Qred_correct. ring.
    + rewrite !sumL_cons, IH. ring.
Qed.

Lemma sum_merge : forall f l, sumL f (merge l) == sumL f l.
Proof.
  intros f l; induction l as [|[s p] l IH].
  - reflexivity.
  - change (merge ((s, p) :: l)) with (insert s p (merge l)).
    rewrite sum_insert, IH, sumL_cons. reflexivity.
Qed.

Lemma sum_app : forall f a b, sumL f (a ++ b) == sumL f a + sumL f b.
Proof.
  intros f a b; induction a as [|[s p] a IH].
  - rewrite app_nil_l. change (sumL f []) with 0. ring.
  - rewrite <- app_comm_cons, !sumL_cons, IH. ring.
Qed.

Definition stepF (c : Twin) (t : Z) (f : St -> Q) (s : St) : Q :=
  let k := choices c s in
  fold_right (fun i acc => f (next c t s i) / inject_Z (Z.of_nat (length k)) + acc) 0 k.

Lemma sum_map : forall f (g : nat -> St) p m (k : list nat),
  sumL f (map (fun i => (g i, Qred (p / m))) k) == p * fold_right (fun i acc => f (g i) / m + acc) 0 k.
Proof.
  intros f g p m k; induction k as [|i k IH].
  - change (sumL f (map (fun i => (g i, Qred (p / m))) [])) with 0. cbn [fold_right]. ring.
  - cbn [map]. rewrite sumL_cons, IH, Qred_correct. cbn [fold_right]. unfold Qdiv. ring.
Qed.

Lemma sum_step : forall c t f l, sumL f (stepU c t l) == sumL (stepF c t f) l.
Proof.
  intros c t f l; induction l as [|[s p] l IH].
  - reflexivity.
  - unfold stepU in *. cbn [flat_map fst snd]. rewrite sum_app, IH, sum_map, sumL_cons.
    unfold stepF. ring.
Qed.

Theorem lawM_sound : forall c k f, sumL f (lawM c k) == sumL f (lawU c k).
Proof.
  intros c k; induction k as [|k IH]; intro f.
  - reflexivity.
  - cbn [lawM lawU]. rewrite sum_merge, !sum_step. apply IH.
Qed.

(** ** Quantities (expectations under the law) *)

Definition dist1 (s : St) : Q := Qabs (nth 0 (wS s) 0 - nth 0 (wS' s) 0).
Definition sqdist (s : St) : Q :=
  fold_right Qplus 0 (map (fun p => (fst p - snd p) * (fst p - snd p)) (combine (wS s) (wS' s))).
Definition equal (s : St) : Q := if list_eqb qeqb (wS s) (wS' s) then 1 else 0.
