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
    the same state are merged. [lawM_sound]: every expectation [sumL f] is the same.
    The quantities of a claim file's construction are ratios of such expectations; a
    certificate states its relation with [ClaimExt] (at every point of an integer grid) or
    [RefutedExt] (at a counterexample), the quantities by definition ([lawU]), and proves
    it with [checkExt_sound] or [refuteExt_sound], which compute them with [lawM]. *)

From Coq Require Import ZArith QArith Qabs Qround Qreals List Bool Lia Reals Sorting.Mergesort Sorting.Permutation Orders.
From Bignums Require Import BigQ.
From Stabcert Require Import Stabcert.
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
Definition unitv (d k : nat) : list Q := map (fun j => if Nat.eqb j k then 1 else 0) (seq 0 d).

Fixpoint qpowN (x : Q) (n : nat) : Q := match n with O => 1 | S m => Qred (x * qpowN x m) end.
Definition qpowZ' (x : Q) (n : Z) : Q :=
  match n with Z0 => 1 | Zpos p => qpowN x (Pos.to_nat p) | Zneg p => Qred (/ qpowN x (Pos.to_nat p)) end.
Definition qsign (x : Q) : Q := if Qlt_le_dec 0 x then 1 else if Qeq_bool x 0 then 0 else -1.

(** value and gradient of [e] at weights [w] and fields [z] ([d] weights) *)
Fixpoint dual (d : nat) (w z : list Q) (e : L) : Q * list Q :=
  match e with
  | LC q => (Qred q, zeros d)
  | LW k => (nth k w 0, unitv d k)
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

(** Merging: sort by a key (Coq's merge sort, a permutation), then add up neighbours
    that are the same state. *)
Definition qkey (q : Q) : list Z := [Qnum q; Zpos (Qden q)].
Definition key (s : St) : list Z :=
  [Z.of_nat (length (wS s))] ++ flat_map qkey (wS s) ++ flat_map qkey (wS' s)
  ++ map (fun b : bool => if b then 1%Z else 0%Z) (used s)
  ++ match hit s with Some h => [1%Z; h] | None => [0%Z] end.

Fixpoint lexb (a b : list Z) : bool :=
  match a, b with
  | [], _ => true
  | _ :: _, [] => false
  | x :: a', y :: b' => if Z.ltb x y then true else if Z.eqb x y then lexb a' b' else false
  end.

Lemma lexb_total : forall a b, lexb a b = true \/ lexb b a = true.
Proof.
  induction a as [|x a IH]; destruct b as [|y b]; simpl; auto.
  destruct (Z.ltb x y) eqn:E1; auto. destruct (Z.eqb x y) eqn:E2.
  - apply Z.eqb_eq in E2; subst. rewrite Z.ltb_irrefl, Z.eqb_refl. apply IH.
  - right. destruct (Z.ltb y x) eqn:E3; auto. exfalso.
    apply Z.ltb_ge in E1; apply Z.ltb_ge in E3; apply Z.eqb_neq in E2; lia.
Qed.

Module EntryOrder <: TotalLeBool.
  Definition t := (St * Q)%type.
  Definition leb (x y : t) := lexb (key (fst x)) (key (fst y)).
  Theorem leb_total : forall x y, leb x y = true \/ leb y x = true.
  Proof. intros; apply lexb_total. Qed.
End EntryOrder.
Module EntrySort := Sort EntryOrder.

Fixpoint combine_acc (s : St) (p : Q) (l : list (St * Q)) : list (St * Q) :=
  match l with
  | [] => [(s, p)]
  | (s', p') :: r => if st_eqb s s' then combine_acc s (Qred (p + p')) r else (s, p) :: combine_acc s' p' r
  end.

Definition merge (l : list (St * Q)) : list (St * Q) :=
  match EntrySort.sort l with [] => [] | (s, p) :: r => combine_acc s p r end.

Definition start_law (c : Twin) : law :=
  [({| wS := start c; wS' := start c; used := if reshuffle c then repeat false (n c) else []; hit := None |}, 1)].

(** the law after [k] steps, merging with [mergef] after each *)
Fixpoint lawW (mergef : law -> law) (c : Twin) (k : nat) : law :=
  match k with O => start_law c | S m => mergef (stepU c (first c + Z.of_nat m) (lawW mergef c m)) end.
Definition lawU (c : Twin) (k : nat) : law := lawW (fun l => l) c k.
Definition lawM (c : Twin) (k : nat) : law := lawW merge c k.

Definition sumL (f : St -> Q) (l : law) : Q := fold_right (fun sp acc => Qred (snd sp * f (fst sp) + acc)) 0 l.

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

Lemma sumL_cons : forall f s p l, sumL f ((s, p) :: l) == p * f s + sumL f l.
Proof. intros. apply Qred_correct. Qed.

Lemma sum_combine : forall f l s p, sumL f (combine_acc s p l) == p * f s + sumL f l.
Proof.
  intros f l; induction l as [|[s' p'] l IH]; intros s p; cbn [combine_acc].
  - rewrite sumL_cons. change (sumL f []) with 0. ring.
  - destruct (st_eqb s s') eqn:E.
    + apply st_eqb_eq in E; subst. rewrite IH, !sumL_cons, Qred_correct. ring.
    + rewrite !sumL_cons, IH. ring.
Qed.

Lemma sum_perm : forall f l l', Permutation l l' -> sumL f l == sumL f l'.
Proof.
  intros f l l' H; induction H as [| [s p] l l' H IH | [s p] [s' p'] l | l l' l'' H1 IH1 H2 IH2].
  - reflexivity.
  - rewrite !sumL_cons, IH. reflexivity.
  - rewrite !sumL_cons. ring.
  - rewrite IH1, IH2. reflexivity.
Qed.

Lemma sum_merge : forall f l, sumL f (merge l) == sumL f l.
Proof.
  intros f l. rewrite <- (sum_perm f _ _ (Permutation_sym (EntrySort.Permuted_sort l))).
  unfold merge. destruct (EntrySort.sort l) as [|[s p] r].
  - reflexivity.
  - rewrite sum_combine, sumL_cons. reflexivity.
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
  - change (lawM c (S k)) with (merge (stepU c (first c + Z.of_nat k) (lawM c k))).
    change (lawU c (S k)) with (stepU c (first c + Z.of_nat k) (lawU c k)).
    rewrite sum_merge, !sum_step. apply IH.
Qed.

(** ** Quantities (expectations under the law) *)

Definition dist1 (s : St) : Q := Qabs (nth 0 (wS s) 0 - nth 0 (wS' s) 0).
Definition sqdist (s : St) : Q :=
  fold_right Qplus 0 (map (fun p => (fst p - snd p) * (fst p - snd p)) (combine (wS s) (wS' s))).
Definition equal (s : St) : Q := if list_eqb qeqb (wS s) (wS' s) then 1 else 0.

(** ** Quantities of a claim file's construction

    The data are terms of the claim language over the claim's environment (the step in
    [Var 0 = t] and the environment after it); a call names a quantity and its times. Each
    quantity is a ratio of two expectations at one time: [kind] 0 E|w_T - w'_T| (one
    weight), 1 E||w_T - w'_T||^2, 2 E|w_t0 - w'_t0|, 3 P[w_t0 = w'_t0], 4
    E[|w_t0 - w'_t0| given w_t0 <> w'_t0], 5 P[H = s], 6 E[|w_T - w'_T| given H = s] (H the
    first step that draws an example where S and S' differ). Further down: 7 to 9 the
    largest gradient norm, the smallest and the largest loss over the region the runs reach
    before T; 10 and 11 E[|w_T - w'_T| given w_t0 = w'_t0] and [given w_t0 <> w'_t0]; 12 the
    largest slope of the derivative between two reached iterates (one weight). *)

Record TwinSpec := {
  sloss : L; sdim : nat; sS : list (list E); sS' : list (list E);
  sstep : E; sfirst : E; sstart : list E; sreshuffle : bool }.

Fixpoint evalAll (env : list Q) (es : list E) : option (list Q) :=
  match es with
  | [] => Some []
  | e :: r => match evalQ env e, evalAll env r with Some x, Some xs => Some (Qred x :: xs) | _, _ => None end
  end.

Fixpoint evalRows (env : list Q) (rows : list (list E)) : option (list (list Q)) :=
  match rows with
  | [] => Some []
  | r :: rs => match evalAll env r, evalRows env rs with Some x, Some xs => Some (x :: xs) | _, _ => None end
  end.

Definition instantiate (sp : TwinSpec) (env : list Q) : option Twin :=
  match evalRows env (sS sp), evalRows env (sS' sp), evalAll env (sstart sp),
        match evalQ env (sfirst sp) with Some f => qint f | None => None end with
  | Some s, Some s', Some w0, Some f =>
      Some {| loss := sloss sp; dim := sdim sp; exS := s; exS' := s';
              alpha := fun t => match evalQ (inject_Z t :: env) (sstep sp) with Some a => Qred a | None => 0 end;
              first := f; start := w0; reshuffle := sreshuffle sp |}
  | _, _, _, _ => None
  end.

Definition ind (b : bool) : Q := if b then 1 else 0.
Definition is_hit (z : Z) (s : St) : bool := match hit s with Some h => Z.eqb h z | None => false end.

(** ** Which states a law holds: merging keeps them *)

Lemma forallb_perm : forall (h : St * Q -> bool) l l', Permutation l l' -> forallb h l = forallb h l'.
Proof.
  intros h l l' H; induction H; cbn [forallb]; try congruence.
  destruct (h x), (h y); reflexivity.
Qed.

Lemma forallb_combine : forall (P : St -> bool) l s p,
  forallb (fun sp => P (fst sp)) (combine_acc s p l) = P s && forallb (fun sp => P (fst sp)) l.
Proof.
  intros P l; induction l as [|[s' p'] l IH]; intros s p; cbn [combine_acc forallb fst].
  - rewrite andb_true_r. reflexivity.
  - destruct (st_eqb s s') eqn:E.
    + apply st_eqb_eq in E; subst. rewrite IH. destruct (P s'); reflexivity.
    + cbn [forallb fst]. rewrite IH. reflexivity.
Qed.

Lemma forallb_merge : forall (P : St -> bool) l,
  forallb (fun sp => P (fst sp)) (merge l) = forallb (fun sp => P (fst sp)) l.
Proof.
  intros P l. rewrite (forallb_perm _ _ _ (EntrySort.Permuted_sort l)).
  unfold merge. destruct (EntrySort.sort l) as [|[s p] r]; [reflexivity|].
  rewrite forallb_combine. reflexivity.
Qed.

Lemma forallb_map_pair : forall (P : St -> bool) (g : nat -> St) (q : nat -> Q) k,
  forallb (fun sp => P (fst sp)) (map (fun i => (g i, q i)) k) = forallb (fun i => P (g i)) k.
Proof.
  intros P g q k; induction k as [|i k IH]; [reflexivity|].
  cbn [map forallb fst]. rewrite IH. reflexivity.
Qed.

Lemma forallb_step : forall (P : St -> bool) c t l,
  forallb (fun sp => P (fst sp)) (stepU c t l)
  = forallb (fun sp => forallb (fun i => P (next c t (fst sp) i)) (choices c (fst sp))) l.
Proof.
  intros P c t l; induction l as [|[s p] l IH]; [reflexivity|].
  unfold stepU in *. cbn [flat_map forallb fst]. rewrite forallb_app, IH. f_equal.
  apply forallb_map_pair.
Qed.

Lemma lawM_support : forall c m (P : St -> bool),
  forallb (fun sp => P (fst sp)) (lawM c m) = forallb (fun sp => P (fst sp)) (lawU c m).
Proof.
  intros c m; induction m as [|m IH]; intro P; [reflexivity|].
  change (lawM c (S m)) with (merge (stepU c (first c + Z.of_nat m) (lawM c m))).
  change (lawU c (S m)) with (stepU c (first c + Z.of_nat m) (lawU c m)).
  rewrite forallb_merge, !forallb_step.
  exact (IH (fun s => forallb (fun i => P (next c (first c + Z.of_nat m) s i)) (choices c s))).
Qed.

(** the norm ||w - w'|| where it is rational (Stabcert's exact square root) *)
Definition norm_ok (s : St) : bool := match qsqrt (sqdist s) with Some _ => true | None => false end.
Definition dist (s : St) : Q := match qsqrt (sqdist s) with Some r => r | None => 0 end.

(** the time, the numerator and the denominator of a quantity, and whether it needs the
    norm (then every state's norm must be rational, or the quantity has no value) *)
Definition form (c : Twin) (k : nat) (ts : list Z) : option (Z * (St -> Q) * (St -> Q) * bool) :=
  let one := fun _ : St => 1 in
  match k, ts with
  | 0%nat, [t] | 2%nat, [t] => Some (t, dist, one, true)
  | 1%nat, [t] => Some (t, sqdist, one, false)
  | 3%nat, [t] => Some (t, equal, one, false)
  | 4%nat, [t] => Some (t, fun s => dist s * (1 - equal s), fun s => 1 - equal s, true)
  | 5%nat, [z] => Some ((z + 1)%Z, fun s => ind (is_hit z s), one, false)
  | 6%nat, [t; z] => Some (t, fun s => dist s * ind (is_hit z s), fun s => ind (is_hit z s), true)
  | _, _ => None
  end.

Definition steps_to (c : Twin) (t : Z) : option nat :=
  if Z.leb (first c) t then Some (Z.to_nat (t - first c)) else None.

(** Two laws are the same for the quantities when every expectation and the set of states
    agree ([same_law]); a quantity is a ratio of two expectations ([ratio]). *)
Definition same_law (l1 l2 : law) : Prop :=
  (forall f, sumL f l1 == sumL f l2) /\
  (forall P : St -> bool, forallb (fun sp => P (fst sp)) l1 = forallb (fun sp => P (fst sp)) l2).

Lemma lawM_same : forall c m, same_law (lawM c m) (lawU c m).
Proof. intros c m. split; [apply lawM_sound | apply lawM_support]. Qed.


Definition ratio (l : law) (f g : St -> Q) (norm : bool) : option Q :=
  if norm && negb (forallb (fun sp => norm_ok (fst sp)) l) then None
  else if Qeq_bool (sumL g l) 0 then None else Some (Qred (sumL f l / sumL g l)).

Lemma ratio_same : forall l1 l2 f g norm, same_law l1 l2 -> ratio l1 f g norm = ratio l2 f g norm.
Proof.
  intros l1 l2 f g norm [Hs Hp]. unfold ratio. rewrite (Hp norm_ok).
  destruct (norm && negb (forallb (fun sp => norm_ok (fst sp)) l2)); [reflexivity|].
  pose proof (Hs g) as Hg. pose proof (Hs f) as Hf.
  destruct (Qeq_bool (sumL g l2) 0) eqn:E.
  - apply Qeq_bool_iff in E.
    assert (Qeq_bool (sumL g l1) 0 = true) as E' by (apply Qeq_bool_iff; rewrite Hg; exact E).
    rewrite E'. reflexivity.
  - assert (Qeq_bool (sumL g l1) 0 = false) as E'.
    { destruct (Qeq_bool (sumL g l1) 0) eqn:X; auto.
      apply Qeq_bool_iff in X. rewrite Hg in X. apply Qeq_bool_iff in X. congruence. }
    rewrite E'. f_equal. apply Qred_complete. rewrite Hf, Hg. reflexivity.
Qed.


(** a quantity from the laws [lawf m] after [m] steps *)
Definition quantityP (lawf : nat -> law) (c : Twin) (k : nat) (ts : list Z) : option Q :=
  match form c k ts with
  | Some (t, f, g, norm) =>
      match steps_to c t with Some m => ratio (lawf m) f g norm | None => None end
  | None => None
  end.

Definition quantity (mergef : law -> law) (c : Twin) : nat -> list Z -> option Q :=
  quantityP (lawW mergef c) c.

Lemma quantity_eq : forall c k ts, quantity merge c k ts = quantity (fun l => l) c k ts.
Proof.
  intros c k ts. unfold quantity, quantityP. destruct (form c k ts) as [[[[t f] g] norm]|]; [|reflexivity].
  destruct (steps_to c t) as [m|]; [|reflexivity]. apply ratio_same, lawM_same.
Qed.
(** ** Conditioning on the state at t0

    [E[|w_T - w'_T| given w_t0 = w'_t0]] (kind 10) and [given w_t0 <> w'_t0] (kind 11): the
    law after t0 restricted to the states where the runs agree (or differ), run on to T.
    Two laws are the same for these quantities when every expectation and the set of
    states agree ([same_law]); merging, restricting and running on keep that. *)

Fixpoint runW (mergef : law -> law) (c : Twin) (m : nat) (t : Z) (l : law) : law :=
  match m with O => l | S m' => runW mergef c m' (t + 1) (mergef (stepU c t l)) end.

Lemma runW_same : forall c m t l1 l2, same_law l1 l2 -> same_law (runW merge c m t l1) (runW (fun l => l) c m t l2).
Proof.
  intros c m; induction m as [|m IH]; intros t l1 l2 [Hs Hp]; [split; assumption|].
  cbn [runW]. apply IH. split.
  - intro f. rewrite sum_merge, !sum_step. apply Hs.
  - intro P. rewrite forallb_merge, !forallb_step.
    exact (Hp (fun s => forallb (fun i => P (next c t s i)) (choices c s))).
Qed.


Definition restrict (P : St -> bool) (l : law) : law := filter (fun sp => P (fst sp)) l.

Lemma sum_restrict : forall P f l, sumL f (restrict P l) == sumL (fun s => if P s then f s else 0) l.
Proof.
  intros P f l; induction l as [|[s p] l IH]; [reflexivity|].
  unfold restrict in *. cbn [filter fst]. rewrite sumL_cons. destruct (P s).
  - rewrite sumL_cons, IH. reflexivity.
  - rewrite IH. ring.
Qed.

Lemma forallb_restrict : forall P (Q' : St -> bool) l,
  forallb (fun sp => Q' (fst sp)) (restrict P l) = forallb (fun sp => negb (P (fst sp)) || Q' (fst sp)) l.
Proof.
  intros P Q' l; induction l as [|[s p] l IH]; [reflexivity|].
  unfold restrict in *. cbn [filter fst forallb]. destruct (P s); cbn; rewrite IH; reflexivity.
Qed.

Lemma restrict_same : forall P l1 l2, same_law l1 l2 -> same_law (restrict P l1) (restrict P l2).
Proof.
  intros P l1 l2 [Hs Hp]. split.
  - intro f. rewrite !sum_restrict. apply Hs.
  - intro Q'. rewrite !forallb_restrict. exact (Hp (fun s => negb (P s) || Q' s)).
Qed.

Definition is_equal (s : St) : bool := list_eqb qeqb (wS s) (wS' s).

(** the law at [t] of the runs whose states at [t0] agree ([zero = true]) or differ *)
Definition given (mergef : law -> law) (c : Twin) (zero : bool) (t t0 : Z) : option law :=
  match steps_to c t0 with
  | Some m0 =>
      if Z.leb t0 t then
        Some (runW mergef c (Z.to_nat (t - t0)) t0 (restrict (fun s => Bool.eqb (is_equal s) zero) (lawW mergef c m0)))
      else None
  | None => None
  end.


Definition condq (mergef : law -> law) (c : Twin) (k : nat) (ts : list Z) : option Q :=
  match k, ts with
  | 10%nat, [t; t0] | 11%nat, [t; t0] =>
      match given mergef c (Nat.eqb k 10) t t0 with
      | Some l => ratio l dist (fun _ => 1) true
      | None => None
      end
  | _, _ => None
  end.

Lemma condq_eq : forall c k ts, condq merge c k ts = condq (fun l => l) c k ts.
Proof.
  intros c k ts. unfold condq.
  destruct k as [|[|[|[|[|[|[|[|[|[|[|[|k]]]]]]]]]]]]; try reflexivity;
  (destruct ts as [|t [|t0 [|]]]; try reflexivity);
  unfold given; destruct (steps_to c t0) as [m0|]; try reflexivity;
  destruct (Z.leb t0 t); try reflexivity;
  apply ratio_same, runW_same, restrict_same, lawM_same.
Qed.

(** ** The region the runs reach: every state of the laws after 0 .. m-1 steps *)

Fixpoint histW (mergef : law -> law) (c : Twin) (m : nat) (t : Z) (l : law) : law :=
  match m with O => [] | S m' => l ++ histW mergef c m' (t + 1) (mergef (stepU c t l)) end.

Lemma histW_support : forall c m t l1 l2,
  (forall P : St -> bool, forallb (fun sp => P (fst sp)) l1 = forallb (fun sp => P (fst sp)) l2) ->
  forall P : St -> bool, forallb (fun sp => P (fst sp)) (histW merge c m t l1)
                       = forallb (fun sp => P (fst sp)) (histW (fun l => l) c m t l2).
Proof.
  intros c m; induction m as [|m IH]; intros t l1 l2 H P; [reflexivity|].
  cbn [histW]. rewrite !forallb_app, H. f_equal. apply IH.
  intro Q'. rewrite forallb_merge, !forallb_step.
  exact (H (fun s => forallb (fun i => Q' (next c t s i)) (choices c s))).
Qed.

Definition qmax' (a b : Q) : Q := if Qle_bool a b then b else a.

Fixpoint maxL (f : St -> Q) (l : law) : option Q :=
  match l with
  | [] => None
  | (s, _) :: r => match maxL f r with None => Some (f s) | Some m => Some (qmax' (f s) m) end
  end.

Lemma maxL_nil : forall f l, maxL f l = None -> l = [].
Proof. intros f [|[s p] l] H; [reflexivity|]. cbn in H. destruct (maxL f l); discriminate. Qed.

Lemma qeqb_refl : forall x, qeqb x x = true.
Proof. intros [a b]; unfold qeqb; simpl. rewrite Z.eqb_refl. simpl. apply Pos.eqb_eq. reflexivity. Qed.

Lemma maxL_value : forall f l m, maxL f l = Some m -> existsb (fun sp => qeqb (f (fst sp)) m) l = true.
Proof.
  intros f l; induction l as [|[s p] l IH]; intros m H; cbn [maxL] in H; [discriminate|].
  cbn [existsb fst]. destruct (maxL f l) as [m'|] eqn:E.
  - injection H as <-. unfold qmax'. destruct (Qle_bool (f s) m').
    + rewrite (IH m' eq_refl), orb_true_r. reflexivity.
    + rewrite qeqb_refl. reflexivity.
  - injection H as <-. rewrite qeqb_refl. reflexivity.
Qed.

Lemma maxL_upper : forall f l m, maxL f l = Some m -> forallb (fun sp => Qle_bool (f (fst sp)) m) l = true.
Proof.
  intros f l; induction l as [|[s p] l IH]; intros m H; cbn [maxL] in H; [discriminate|].
  cbn [forallb fst]. destruct (maxL f l) as [m'|] eqn:E.
  - injection H as <-. specialize (IH m' eq_refl). unfold qmax'.
    destruct (Qle_bool (f s) m') eqn:L.
    + rewrite L, IH. reflexivity.
    + apply andb_true_intro; split; [apply Qle_bool_iff, Qle_refl|].
      rewrite forallb_forall in *. intros x Hx. specialize (IH x Hx).
      apply Qle_bool_iff in IH. apply Qle_bool_iff.
      assert (~ f s <= m')%Q as N by (intro N; apply Qle_bool_iff in N; congruence).
      apply Qnot_le_lt in N. apply Qlt_le_weak in N. eapply Qle_trans; eauto.
  - injection H as <-. apply maxL_nil in E. subst.
    cbn. rewrite andb_true_r. apply Qle_bool_iff, Qle_refl.
Qed.

Lemma existsb_forallb : forall (h : St * Q -> bool) l, existsb h l = negb (forallb (fun x => negb (h x)) l).
Proof. intros h l; induction l as [|x l IH]; [reflexivity|]. cbn. rewrite IH. destruct (h x); reflexivity. Qed.


(** the maximum depends only on which states the law holds, for values in lowest terms *)
Lemma maxL_support : forall f l1 l2, (forall s, Qred (f s) = f s) ->
  (forall P : St -> bool, forallb (fun sp => P (fst sp)) l1 = forallb (fun sp => P (fst sp)) l2) ->
  maxL f l1 = maxL f l2.
Proof.
  intros f l1 l2 Hc H.
  assert (Hex : forall P : St -> bool, existsb (fun sp => P (fst sp)) l1 = existsb (fun sp => P (fst sp)) l2).
  { intro P. rewrite !existsb_forallb. f_equal. apply (H (fun s => negb (P s))). }
  destruct (maxL f l1) as [m1|] eqn:E1; destruct (maxL f l2) as [m2|] eqn:E2.
  - pose proof (maxL_upper _ _ _ E1) as U1. pose proof (maxL_upper _ _ _ E2) as U2.
    pose proof (maxL_value _ _ _ E1) as V1. pose proof (maxL_value _ _ _ E2) as V2.
    rewrite (Hex (fun s => qeqb (f s) m1)) in V1. rewrite <- (Hex (fun s => qeqb (f s) m2)) in V2.
    apply existsb_exists in V1 as [[s1 p1] [I1 Q1]]. apply existsb_exists in V2 as [[s2 p2] [I2 Q2]].
    apply qeqb_eq in Q1. apply qeqb_eq in Q2. cbn [fst] in *.
    rewrite forallb_forall in U1, U2.
    specialize (U2 _ I1). specialize (U1 _ I2). cbn [fst] in *. rewrite Q1 in U2. rewrite Q2 in U1.
    apply Qle_bool_iff in U1. apply Qle_bool_iff in U2.
    assert (m1 == m2)%Q as Eq by (apply Qle_antisym; assumption).
    f_equal. rewrite <- Q1, <- Q2, <- (Hc s1), <- (Hc s2). apply Qred_complete.
    rewrite Q1, Q2. exact Eq.
  - apply maxL_nil in E2. subst. specialize (H (fun _ => false)). destruct l1 as [|x l1]; [discriminate|].
    cbn in H. discriminate.
  - apply maxL_nil in E1. subst. specialize (H (fun _ => false)). destruct l2 as [|x l2]; [discriminate|].
    cbn in H. discriminate.
  - reflexivity.
Qed.

(** per state: the largest of [g w z] over both iterates and every example of S and S' *)
Definition st_max (c : Twin) (g : list Q -> list Q -> Q) (s : St) : Q :=
  fold_right (fun z acc => qmax' (Qred (g (wS s) z)) (qmax' (Qred (g (wS' s) z)) acc))
    (Qred (g (wS s) (hd [] (exS c)))) (exS c ++ exS' c).

Lemma Qred_idem : forall q, Qred (Qred q) = Qred q.
Proof. intro q. apply Qred_complete, Qred_correct. Qed.

Lemma qmax_red : forall a b, Qred a = a -> Qred b = b -> Qred (qmax' a b) = qmax' a b.
Proof. intros a b Ha Hb; unfold qmax'; destruct (Qle_bool a b); assumption. Qed.

Lemma st_max_red : forall c g s, Qred (st_max c g s) = st_max c g s.
Proof.
  intros c g s. unfold st_max. generalize (exS c ++ exS' c). intro zs.
  induction zs as [|z zs IH]; cbn [fold_right]; [apply Qred_idem|].
  apply qmax_red; [apply Qred_idem|]. apply qmax_red; [apply Qred_idem|exact IH].
Qed.

Definition grad2 (c : Twin) (w z : list Q) : Q :=
  fold_right Qplus 0 (map (fun x => x * x) (snd (dual (dim c) w z (loss c)))).
Definition lossv (c : Twin) (w z : list Q) : Q := fst (dual (dim c) w z (loss c)).

(** kinds 7 (largest gradient norm), 8 (smallest loss), 9 (largest loss) at T: over the
    iterates of both runs after 0 .. T-F-1 steps *)
Definition reachP (histf : nat -> law) (c : Twin) (k : nat) (ts : list Z) : option Q :=
  match ts with
  | [t] => match steps_to c t with
      | Some m =>
          let h := histf m in
          match k with
          | 7%nat => match maxL (st_max c (grad2 c)) h with Some v => qsqrt v | None => None end
          | 8%nat => match maxL (st_max c (fun w z => - lossv c w z)) h with Some v => Some (Qred (- v)) | None => None end
          | 9%nat => maxL (st_max c (lossv c)) h
          | _ => None
          end
      | None => None
      end
  | _ => None
  end.

Definition reach (mergef : law -> law) (c : Twin) : nat -> list Z -> option Q :=
  reachP (fun m => histW mergef c m (first c) (start_law c)) c.

Lemma reach_eq : forall c k ts, reach merge c k ts = reach (fun l => l) c k ts.
Proof.
  intros c k ts. unfold reach, reachP. destruct ts as [|t [|]]; try reflexivity.
  destruct (steps_to c t) as [m|]; [|reflexivity].
  assert (forall g, maxL (st_max c g) (histW merge c m (first c) (start_law c))
                  = maxL (st_max c g) (histW (fun l => l) c m (first c) (start_law c))) as HM.
  { intro g. apply maxL_support; [apply st_max_red|]. apply histW_support. reflexivity. }
  rewrite !HM. reflexivity.
Qed.

(** ** Kind 12, one weight: the largest [|f'(a; z) - f'(b; z)| / |a - b|] over iterates
    [a <> b] of either run reached before T (the laws after 0 .. T-F-1 steps) and every
    example [z] of S and S' (0 when no two iterates differ) *)

Definition fmax0 (h : St -> Q) (l : law) : Q := fold_right (fun sp acc => qmax' (h (fst sp)) acc) 0 l.

Lemma fmax0_upper : forall h l, forallb (fun sp => Qle_bool (h (fst sp)) (fmax0 h l)) l = true.
Proof.
  intros h l. rewrite forallb_forall. intros [s p] I. apply Qle_bool_iff. cbn [fst].
  induction l as [|[s' p'] l IH]; [destruct I|]. cbn [fmax0 fold_right fst]. fold (fmax0 h l).
  destruct I as [E|I].
  - injection E as -> ->. unfold qmax'. destruct (Qle_bool (h s) (fmax0 h l)) eqn:L.
    + apply Qle_bool_iff, L.
    + apply Qle_refl.
  - specialize (IH I). unfold qmax'. destruct (Qle_bool (h s') (fmax0 h l)) eqn:L; [exact IH|].
    assert (~ h s' <= fmax0 h l)%Q as N by (intro N; apply Qle_bool_iff in N; congruence).
    apply Qnot_le_lt, Qlt_le_weak in N. eapply Qle_trans; eauto.
Qed.

Lemma fmax0_nonneg : forall h l, 0 <= fmax0 h l.
Proof.
  intros h l; induction l as [|[s p] l IH]; [apply Qle_refl|]. cbn [fmax0 fold_right fst]. fold (fmax0 h l).
  unfold qmax'. destruct (Qle_bool (h s) (fmax0 h l)) eqn:L; [exact IH|].
  assert (~ h s <= fmax0 h l)%Q as N by (intro N; apply Qle_bool_iff in N; congruence).
  apply Qnot_le_lt, Qlt_le_weak in N. eapply Qle_trans; eauto.
Qed.

Lemma fmax0_value : forall h l, fmax0 h l = 0 \/ existsb (fun sp => qeqb (h (fst sp)) (fmax0 h l)) l = true.
Proof.
  intros h l; induction l as [|[s p] l IH]; [left; reflexivity|].
  cbn [fmax0 fold_right fst existsb]. fold (fmax0 h l). unfold qmax'.
  destruct (Qle_bool (h s) (fmax0 h l)).
  - destruct IH as [IH|IH]; [left; exact IH|right]. apply orb_true_iff; right; exact IH.
  - right. rewrite qeqb_refl. reflexivity.
Qed.

Lemma fmax0_red : forall h l, (forall s, Qred (h s) = h s) -> Qred (fmax0 h l) = fmax0 h l.
Proof.
  intros h l Hh; induction l as [|[s p] l IH]; [reflexivity|]. cbn [fmax0 fold_right fst]. fold (fmax0 h l).
  apply qmax_red; [apply Hh | exact IH].
Qed.

(** the largest value depends only on which states the law holds, for values in lowest terms *)
Lemma fmax0_support : forall h l1 l2, (forall s, Qred (h s) = h s) ->
  (forall P : St -> bool, forallb (fun sp => P (fst sp)) l1 = forallb (fun sp => P (fst sp)) l2) ->
  fmax0 h l1 = fmax0 h l2.
Proof.
  intros h l1 l2 Hc H.
  assert (Hex : forall P : St -> bool, existsb (fun sp => P (fst sp)) l1 = existsb (fun sp => P (fst sp)) l2).
  { intro P. rewrite !existsb_forallb. f_equal. apply (H (fun s => negb (P s))). }
  assert (forall la lb, (forall P : St -> bool, existsb (fun sp => P (fst sp)) la = existsb (fun sp => P (fst sp)) lb) ->
            fmax0 h la <= fmax0 h lb)%Q as Le.
  { intros la lb He. destruct (fmax0_value h la) as [Z|V]; [rewrite Z; apply fmax0_nonneg|].
    rewrite (He (fun s => qeqb (h s) (fmax0 h la))) in V.
    apply existsb_exists in V as [[s p] [I E]]. apply qeqb_eq in E. cbn [fst] in E.
    pose proof (fmax0_upper h lb) as U. rewrite forallb_forall in U. specialize (U _ I).
    apply Qle_bool_iff in U. cbn [fst] in U. rewrite E in U. exact U. }
  assert (fmax0 h l1 == fmax0 h l2) as Eq.
  { apply Qle_antisym; apply Le; intro P; [apply Hex | symmetry; apply Hex]. }
  rewrite <- (fmax0_red h l1 Hc), <- (fmax0_red h l2 Hc). apply Qred_complete, Eq.
Qed.

Definition deriv1 (c : Twin) (a : Q) (z : list Q) : Q := nth 0 (snd (dual (dim c) [a] z (loss c))) 0.
Definition slope (c : Twin) (z : list Q) (a b : Q) : Q :=
  if Qeq_bool a b then 0 else Qred (Qabs ((deriv1 c a z - deriv1 c b z) / (a - b))).
Definition pts (s : St) : list Q := [nth 0 (wS s) 0; nth 0 (wS' s) 0].

(** per pair of states: the largest slope between an iterate of the one and of the other *)
Definition pair_slope (c : Twin) (s1 s2 : St) : Q :=
  fold_right (fun z acc =>
    fold_right (fun a acc => fold_right (fun b acc => qmax' (slope c z a b) acc) acc (pts s2)) acc (pts s1))
    0 (exS c ++ exS' c).

Lemma fold_red : forall {A} (f : A -> Q -> Q) (ys : list A) q,
  (forall y acc, Qred acc = acc -> Qred (f y acc) = f y acc) -> Qred q = q ->
  Qred (fold_right f q ys) = fold_right f q ys.
Proof. intros A f ys q Hf Hq; induction ys as [|y ys IH]; cbn [fold_right]; [exact Hq | apply Hf, IH]. Qed.

Lemma pair_slope_red : forall c s1 s2, Qred (pair_slope c s1 s2) = pair_slope c s1 s2.
Proof.
  intros c s1 s2. unfold pair_slope. apply fold_red; [|reflexivity]. intros z acc H.
  apply fold_red; [|exact H]. intros a acc' H'. apply fold_red; [|exact H']. intros b acc'' H''.
  apply qmax_red; [|exact H'']. unfold slope. destruct (Qeq_bool a b); [reflexivity | apply Qred_idem].
Qed.

Lemma fmax0_ext : forall h h' l, (forall s, h s = h' s) -> fmax0 h l = fmax0 h' l.
Proof. intros h h' l E; induction l as [|[s p] l IH]; [reflexivity|]. cbn [fmax0 fold_right fst]. rewrite E. f_equal. exact IH. Qed.

Definition slope_max (c : Twin) (h : law) : Q := fmax0 (fun s => fmax0 (pair_slope c s) h) h.

Lemma slope_max_support : forall c h1 h2,
  (forall P : St -> bool, forallb (fun sp => P (fst sp)) h1 = forallb (fun sp => P (fst sp)) h2) ->
  slope_max c h1 = slope_max c h2.
Proof.
  intros c h1 h2 H. unfold slope_max.
  assert (forall s, fmax0 (pair_slope c s) h1 = fmax0 (pair_slope c s) h2) as E.
  { intro s. apply fmax0_support; [apply pair_slope_red | exact H]. }
  rewrite (fmax0_support _ h1 h2); [|intro s; apply fmax0_red, pair_slope_red | exact H].
  apply fmax0_ext, E.
Qed.

Definition slopeq (mergef : law -> law) (c : Twin) (ts : list Z) : option Q :=
  match ts with
  | [t] => if Nat.eqb (dim c) 1 then
             match steps_to c t with
             | Some m => Some (slope_max c (histW mergef c m (first c) (start_law c)))
             | None => None
             end
           else None
  | _ => None
  end.

Lemma slopeq_eq : forall c ts, slopeq merge c ts = slopeq (fun l => l) c ts.
Proof.
  intros c ts. unfold slopeq. destruct ts as [|t [|]]; try reflexivity.
  destruct (Nat.eqb (dim c) 1); [|reflexivity]. destruct (steps_to c t) as [m|]; [|reflexivity].
  f_equal. apply slope_max_support, histW_support. reflexivity.
Qed.

Definition quantityB (mergef : law -> law) (c : Twin) (k : nat) (ts : list Z) : option Q :=
  if Nat.eqb k 12 then slopeq mergef c ts
  else if Nat.leb 10 k then condq mergef c k ts
  else if Nat.leb 7 k then reach mergef c k ts else quantity mergef c k ts.

Lemma quantityB_eq : forall c k ts, quantityB merge c k ts = quantityB (fun l => l) c k ts.
Proof.
  intros c k ts. unfold quantityB. destruct (Nat.eqb k 12); [apply slopeq_eq|].
  destruct (Nat.leb 10 k); [apply condq_eq|].
  destruct (Nat.leb 7 k); [apply reach_eq | apply quantity_eq].
Qed.

Fixpoint times (env : list Q) (ts : list E) : option (list Z) :=
  match ts with
  | [] => Some []
  | e :: r => match evalQ env e, times env r with
              | Some x, Some xs => match qint x with Some z => Some (z :: xs) | None => None end
              | _, _ => None end
  end.

Fixpoint calls_values (mergef : law -> law) (c : Twin) (env : list Q) (calls : list (nat * list E)) : option (list Q) :=
  match calls with
  | [] => Some []
  | (k, ts) :: r =>
      match times env ts, calls_values mergef c env r with
      | Some zs, Some xs => match quantityB mergef c k zs with Some q => Some (q :: xs) | None => None end
      | _, _ => None
      end
  end.

(** the values of the calls at a point: [extL (fun l => l)] by definition (no merging),
    [extL merge] computed *)
Definition extL (mergef : law -> law) (sp : TwinSpec) (calls : list (nat * list E)) (env : list Q) : option (list Q) :=
  match instantiate sp env with Some c => calls_values mergef c env calls | None => None end.

Lemma ext_eq : forall sp calls env, extL merge sp calls env = extL (fun l => l) sp calls env.
Proof.
  intros sp calls env. unfold extL. destruct (instantiate sp env) as [c|]; [|reflexivity].
  induction calls as [|[k ts] r IH]; cbn [calls_values]; [reflexivity|].
  rewrite IH. destruct (times env ts) as [zs|]; [|reflexivity].
  destruct (calls_values (fun l => l) c env r) as [xs|]; [|reflexivity].
  rewrite quantityB_eq. reflexivity.
Qed.

(** ** Sharing laws across the points of a grid

    A grid recomputes the law at every point; a table of trajectories (the merged laws after
    0 .. M steps of one instance, computed once by [build] from a point of the instance)
    lets the points of an instance share them. A point uses an entry only when its
    instance has the same data (S, S', the first step, the start, the steps over the
    entry's horizon): then the entry's laws are its laws ([lawC_eq], [histC_eq]), so the
    check with the table ([checkExtC]) is the check without it ([checkExtC_eq]). *)

Fixpoint trajW (c : Twin) (m : nat) (t : Z) (l : law) : list law :=
  match m with O => [l] | S m' => l :: trajW c m' (t + 1) (merge (stepU c t l)) end.

Lemma runW_last : forall c k t l,
  runW merge c (S k) t l = merge (stepU c (t + Z.of_nat k) (runW merge c k t l)).
Proof.
  intros c k; induction k as [|k IH]; intros t l.
  - cbn [runW]. rewrite Z.add_0_r. reflexivity.
  - change (runW merge c (S (S k)) t l) with (runW merge c (S k) (t + 1) (merge (stepU c t l))).
    rewrite IH. replace (t + Z.of_nat (S k))%Z with (t + 1 + Z.of_nat k)%Z by lia. reflexivity.
Qed.

Lemma lawM_runW : forall c k, lawM c k = runW merge c k (first c) (start_law c).
Proof. intros c k; induction k as [|k IH]; [reflexivity|]. rewrite runW_last, <- IH. reflexivity. Qed.

Lemma trajW_nth : forall c m t l k, (k <= m)%nat -> nth k (trajW c m t l) [] = runW merge c k t l.
Proof.
  intros c m; induction m as [|m IH]; intros t l k H.
  - assert (k = 0%nat) by lia; subst. reflexivity.
  - destruct k as [|k]; [reflexivity|]. cbn [trajW nth runW]. apply IH. lia.
Qed.

Lemma trajW_hist : forall c m M t l, (m <= S M)%nat -> histW merge c m t l = concat (firstn m (trajW c M t l)).
Proof.
  intros c m; induction m as [|m IH]; intros M t l H; [reflexivity|].
  destruct M as [|M].
  - assert (m = 0%nat) by lia; subst. cbn. rewrite app_nil_r. reflexivity.
  - cbn [histW trajW firstn concat]. f_equal. apply IH. lia.
Qed.

(** two instances of one spec with the same data *)
Definition alike (c c' : Twin) : Prop :=
  loss c = loss c' /\ dim c = dim c' /\ exS c = exS c' /\ exS' c = exS' c' /\ reshuffle c = reshuffle c'
  /\ first c = first c' /\ start c = start c'.

Lemma stepU_ext : forall c c' t l, alike c c' -> alpha c t = alpha c' t -> stepU c t l = stepU c' t l.
Proof.
  intros c c' t l (H1 & H2 & H3 & H4 & H5 & _) H6.
  unfold stepU, choices, next, sgd, differs, n. rewrite H1, H2, H3, H4, H5, H6. reflexivity.
Qed.

Lemma runW_ext : forall c c' m t l, alike c c' ->
  (forall j, (j < m)%nat -> alpha c (t + Z.of_nat j) = alpha c' (t + Z.of_nat j)) ->
  runW merge c m t l = runW merge c' m t l.
Proof.
  intros c c' m; induction m as [|m IH]; intros t l A H; [reflexivity|].
  cbn [runW]. rewrite (stepU_ext c c' t l A); [|specialize (H 0%nat ltac:(lia)); rewrite Z.add_0_r in H; exact H].
  apply IH; [exact A|]. intros j Hj. specialize (H (S j) ltac:(lia)).
  replace (t + 1 + Z.of_nat j)%Z with (t + Z.of_nat (S j))%Z by lia. exact H.
Qed.

Lemma histW_ext : forall c c' m t l, alike c c' ->
  (forall j, (j < m)%nat -> alpha c (t + Z.of_nat j) = alpha c' (t + Z.of_nat j)) ->
  histW merge c m t l = histW merge c' m t l.
Proof.
  intros c c' m; induction m as [|m IH]; intros t l A H; [reflexivity|].
  cbn [histW]. rewrite (stepU_ext c c' t l A); [|specialize (H 0%nat ltac:(lia)); rewrite Z.add_0_r in H; exact H].
  f_equal. apply IH; [exact A|]. intros j Hj. specialize (H (S j) ltac:(lia)).
  replace (t + 1 + Z.of_nat j)%Z with (t + Z.of_nat (S j))%Z by lia. exact H.
Qed.

Lemma start_ext : forall c c', alike c c' -> start_law c = start_law c'.
Proof. intros c c' (_ & _ & H3 & _ & H5 & _ & H7). unfold start_law, n. rewrite H3, H5, H7. reflexivity. Qed.

Definition Entry := (Twin * nat * list law)%type.

(** the table: an instance at each hinted point (its values, in the environment's order)
    and its trajectory up to the hinted number of steps *)
Definition build (sp : TwinSpec) (hints : list (list Q * nat)) : list Entry :=
  flat_map (fun h => match instantiate sp (map Qred (fst h)) with
                     | Some c => [(c, snd h, trajW c (snd h) (first c) (start_law c))]
                     | None => [] end) hints.

Definition alphas (c : Twin) (M : nat) : list Q := map (fun j => alpha c (first c + Z.of_nat j)) (seq 0 M).
Definition same_data (c c' : Twin) (M : nat) : bool :=
  list_eqb (list_eqb qeqb) (exS c) (exS c') && list_eqb (list_eqb qeqb) (exS' c) (exS' c')
  && Z.eqb (first c) (first c') && list_eqb qeqb (start c) (start c') && list_eqb qeqb (alphas c M) (alphas c' M).

Fixpoint lookup (tbl : list Entry) (c : Twin) (m : nat) : option (list law) :=
  match tbl with
  | [] => None
  | (c', M, tr) :: r => if Nat.leb m M && same_data c c' M then Some tr else lookup r c m
  end.

Definition lawC (tbl : list Entry) (c : Twin) (m : nat) : law :=
  match lookup tbl c m with Some tr => nth m tr [] | None => lawM c m end.
Definition histC (tbl : list Entry) (c : Twin) (m : nat) : law :=
  match lookup tbl c m with Some tr => concat (firstn m tr) | None => histW merge c m (first c) (start_law c) end.

Definition of_spec (sp : TwinSpec) (c : Twin) : Prop :=
  loss c = sloss sp /\ dim c = sdim sp /\ reshuffle c = sreshuffle sp.

Lemma instantiate_of_spec : forall sp env c, instantiate sp env = Some c -> of_spec sp c.
Proof.
  intros sp env c H. unfold instantiate in H.
  destruct (evalRows env (sS sp)), (evalRows env (sS' sp)), (evalAll env (sstart sp)),
    (match evalQ env (sfirst sp) with Some f => qint f | None => None end); try discriminate.
  injection H as <-. repeat split.
Qed.

Lemma lookup_found : forall sp hints c m tr, lookup (build sp hints) c m = Some tr ->
  exists c' M, of_spec sp c' /\ (m <= M)%nat /\ same_data c c' M = true /\ tr = trajW c' M (first c') (start_law c').
Proof.
  intros sp hints c m tr. unfold build. induction hints as [|h hs IH]; [discriminate|].
  cbn [flat_map]. destruct (instantiate sp (map Qred (fst h))) as [c'|] eqn:I; [|exact IH].
  cbn [app lookup]. destruct (Nat.leb m (snd h) && same_data c c' (snd h)) eqn:E; [|exact IH].
  intro H. injection H as <-. apply andb_true_iff in E as [E1 E2]. apply Nat.leb_le in E1.
  exists c', (snd h). repeat split; try assumption; [apply (instantiate_of_spec _ _ _ I) ..].
Qed.

Lemma map_eq_in : forall (A B : Type) (f g : A -> B) l, map f l = map g l -> forall x, In x l -> f x = g x.
Proof.
  intros A B f g l; induction l as [|a l IH]; cbn; intros H x I; [destruct I|].
  injection H as H1 H2. destruct I as [<-|I]; auto.
Qed.

Lemma same_data_alike : forall sp c c' M, of_spec sp c -> of_spec sp c' -> same_data c c' M = true ->
  alike c c' /\ (forall j, (j < M)%nat -> alpha c (first c + Z.of_nat j) = alpha c' (first c + Z.of_nat j)).
Proof.
  intros sp c c' M (L1 & D1 & R1) (L2 & D2 & R2) E. unfold same_data in E.
  repeat rewrite andb_true_iff in E. destruct E as [[[[E1 E2] E3] E4] E5].
  apply (list_eqb_eq _ (list_eqb_eq _ qeqb_eq)) in E1. apply (list_eqb_eq _ (list_eqb_eq _ qeqb_eq)) in E2.
  apply Z.eqb_eq in E3. apply (list_eqb_eq _ qeqb_eq) in E4. apply (list_eqb_eq _ qeqb_eq) in E5.
  split; [unfold alike; repeat split; congruence|].
  intros j Hj. unfold alphas in E5. rewrite E3 in E5. rewrite E3.
  apply (map_eq_in _ _ _ _ _ E5 j). apply in_seq. lia.
Qed.

Lemma lawC_eq : forall sp hints c m, of_spec sp c -> lawC (build sp hints) c m = lawM c m.
Proof.
  intros sp hints c m S. unfold lawC. destruct (lookup (build sp hints) c m) as [tr|] eqn:L; [|reflexivity].
  destruct (lookup_found _ _ _ _ _ L) as (c' & M & S' & Hm & E & ->).
  destruct (same_data_alike _ _ _ _ S S' E) as [A H].
  rewrite trajW_nth by exact Hm. rewrite lawM_runW.
  assert (F : first c = first c') by (destruct A as (_ & _ & _ & _ & _ & F & _); exact F).
  rewrite <- F, <- (start_ext _ _ A). symmetry. apply runW_ext; [exact A|]. intros j Hj. apply H. lia.
Qed.

Lemma histC_eq : forall sp hints c m, of_spec sp c ->
  histC (build sp hints) c m = histW merge c m (first c) (start_law c).
Proof.
  intros sp hints c m S. unfold histC. destruct (lookup (build sp hints) c m) as [tr|] eqn:L; [|reflexivity].
  destruct (lookup_found _ _ _ _ _ L) as (c' & M & S' & Hm & E & ->).
  destruct (same_data_alike _ _ _ _ S S' E) as [A H].
  rewrite <- trajW_hist by lia.
  assert (F : first c = first c') by (destruct A as (_ & _ & _ & _ & _ & F & _); exact F).
  rewrite <- F, <- (start_ext _ _ A). symmetry. apply histW_ext; [exact A|]. intros j Hj. apply H. lia.
Qed.

Definition quantityT (tbl : list Entry) (c : Twin) (k : nat) (ts : list Z) : option Q :=
  if Nat.eqb k 12 then slopeq merge c ts
  else if Nat.leb 10 k then condq merge c k ts
  else if Nat.leb 7 k then reachP (histC tbl c) c k ts else quantityP (lawC tbl c) c k ts.

Lemma quantityT_eq : forall sp hints c k ts, of_spec sp c ->
  quantityT (build sp hints) c k ts = quantityB merge c k ts.
Proof.
  intros sp hints c k ts S. unfold quantityT, quantityB.
  destruct (Nat.eqb k 12); [reflexivity|]. destruct (Nat.leb 10 k); [reflexivity|].
  destruct (Nat.leb 7 k).
  - unfold reach, reachP. destruct ts as [|t [|]]; try reflexivity.
    destruct (steps_to c t) as [m|]; [|reflexivity]. rewrite (histC_eq sp hints c m S). reflexivity.
  - unfold quantity, quantityP. destruct (form c k ts) as [[[[t f] g] norm]|]; [|reflexivity].
    destruct (steps_to c t) as [m|]; [|reflexivity]. rewrite (lawC_eq sp hints c m S). reflexivity.
Qed.

Fixpoint calls_valuesT (tbl : list Entry) (c : Twin) (env : list Q) (calls : list (nat * list E)) : option (list Q) :=
  match calls with
  | [] => Some []
  | (k, ts) :: r =>
      match times env ts, calls_valuesT tbl c env r with
      | Some zs, Some xs => match quantityT tbl c k zs with Some q => Some (q :: xs) | None => None end
      | _, _ => None
      end
  end.

Definition checkExtC (r : Rel) (lhs rhs : E) (sp : TwinSpec) (calls : list (nat * list E)) (tbl : list Entry) (env : list bigQ) : bool :=
  match match instantiate sp (map Qred (map BigQ.to_Q env)) with
        | Some c => calls_valuesT tbl c (map Qred (map BigQ.to_Q env)) calls | None => None end with
  | Some xs => checkB r lhs rhs (env ++ map BigQ.of_Q xs)
  | None => false
  end.

(** The relation at a point of the domain, its quantities those of the twin process there
    (by definition: the law with one entry per index sequence). *)
Definition ClaimExt (r : Rel) (lhs rhs : E) (sp : TwinSpec) (calls : list (nat * list E)) (envR : list R) : Prop :=
  forall envQ, envR = map Q2R envQ ->
  exists xs, extL (fun l => l) sp calls (map Qred envQ) = Some xs /\ Claim r lhs rhs (envR ++ map Q2R xs).

Definition checkExt (r : Rel) (lhs rhs : E) (sp : TwinSpec) (calls : list (nat * list E)) (env : list bigQ) : bool :=
  match extL merge sp calls (map Qred (map BigQ.to_Q env)) with
  | Some xs => checkB r lhs rhs (env ++ map BigQ.of_Q xs)
  | None => false
  end.

Lemma map_Q2R_red : forall a b, map Q2R a = map Q2R b -> map Qred a = map Qred b.
Proof.
  induction a as [|x a IH]; destruct b as [|y b]; simpl; intro H; try discriminate; auto.
  injection H as H1 H2. f_equal; auto. apply Qred_complete, eqR_Qeq, H1.
Qed.

Lemma checkExt_sound : forall r lhs rhs sp calls env,
  checkExt r lhs rhs sp calls env = true -> ClaimExt r lhs rhs sp calls (map B2R env).
Proof.
  unfold checkExt, ClaimExt. intros r lhs rhs sp calls env H envQ HE.
  destruct (extL merge sp calls (map Qred (map BigQ.to_Q env))) as [xs|] eqn:X; [|discriminate].
  exists xs. split.
  - assert (map Qred envQ = map Qred (map BigQ.to_Q env)) as ->.
    { apply map_Q2R_red. rewrite <- HE. unfold B2R. rewrite map_map. reflexivity. }
    rewrite <- ext_eq. exact X.
  - apply checkB_sound in H. rewrite map_app, map_map in H.
    rewrite (map_ext _ _ B2R_of_Q) in H. exact H.
Qed.

Lemma checkExtC_eq : forall r lhs rhs sp calls hints env,
  checkExtC r lhs rhs sp calls (build sp hints) env = checkExt r lhs rhs sp calls env.
Proof.
  intros r lhs rhs sp calls hints env. unfold checkExtC, checkExt, extL.
  destruct (instantiate sp (map Qred (map BigQ.to_Q env))) as [c|] eqn:I; [|reflexivity].
  pose proof (instantiate_of_spec _ _ _ I) as S.
  assert (E : calls_valuesT (build sp hints) c (map Qred (map BigQ.to_Q env)) calls
            = calls_values merge c (map Qred (map BigQ.to_Q env)) calls).
  { induction calls as [|[k ts] rest IH]; [reflexivity|]. cbn [calls_valuesT calls_values].
    rewrite IH. destruct (times _ ts) as [zs|]; [|reflexivity].
    destruct (calls_values merge c _ rest) as [xs|]; [|reflexivity].
    rewrite (quantityT_eq sp hints c k zs S). reflexivity. }
  rewrite E. reflexivity.
Qed.

Lemma checkExtC_sound : forall r lhs rhs sp calls hints env,
  checkExtC r lhs rhs sp calls (build sp hints) env = true -> ClaimExt r lhs rhs sp calls (map B2R env).
Proof. intros r lhs rhs sp calls hints env H. rewrite checkExtC_eq in H. apply checkExt_sound, H. Qed.

(** The relation fails at a point, its quantities those of the twin process there. *)
Definition RefutedExt (r : Rel) (lhs rhs : E) (sp : TwinSpec) (calls : list (nat * list E)) (point : list Q) : Prop :=
  exists xs, extL (fun l => l) sp calls (map Qred point) = Some xs /\ ~ Claim r lhs rhs (map Q2R point ++ map Q2R xs).

Definition refuteExt (r : Rel) (lhs rhs : E) (sp : TwinSpec) (calls : list (nat * list E)) (point : list Q) : bool :=
  match extL merge sp calls (map Qred point) with
  | Some xs => refuteQ r lhs rhs (point ++ xs)
  | None => false
  end.

Lemma refuteExt_sound : forall r lhs rhs sp calls point,
  refuteExt r lhs rhs sp calls point = true -> RefutedExt r lhs rhs sp calls point.
Proof.
  unfold refuteExt, RefutedExt. intros r lhs rhs sp calls point H.
  destruct (extL merge sp calls (map Qred point)) as [xs|] eqn:X; [|discriminate].
  exists xs. split; [rewrite <- ext_eq; exact X|].
  apply refuteQ_sound in H. rewrite map_app in H. exact H.
Qed.
