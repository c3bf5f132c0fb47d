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

Fixpoint lawU (c : Twin) (k : nat) : law :=
  match k with O => start_law c | S m => stepU c (first c + Z.of_nat m) (lawU c m) end.
Fixpoint lawM (c : Twin) (k : nat) : law :=
  match k with O => start_law c | S m => merge (stepU c (first c + Z.of_nat m) (lawM c m)) end.

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
  - cbn [lawM lawU]. rewrite sum_merge, !sum_step. apply IH.
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
    first step that draws an example where S and S' differ). *)

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
  cbn [lawM lawU]. rewrite forallb_merge, !forallb_step.
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

Definition quantity (lawf : Twin -> nat -> law) (c : Twin) (k : nat) (ts : list Z) : option Q :=
  match form c k ts with
  | Some (t, f, g, norm) =>
      match steps_to c t with
      | Some m => let l := lawf c m in
          if norm && negb (forallb (fun sp => norm_ok (fst sp)) l) then None
          else if Qeq_bool (sumL g l) 0 then None else Some (Qred (sumL f l / sumL g l))
      | None => None
      end
  | None => None
  end.

Lemma quantity_eq : forall c k ts, quantity lawM c k ts = quantity lawU c k ts.
Proof.
  intros c k ts. unfold quantity. destruct (form c k ts) as [[[[t f] g] norm]|]; [|reflexivity].
  destruct (steps_to c t) as [m|]; [|reflexivity].
  rewrite (lawM_support c m norm_ok).
  destruct (norm && negb (forallb (fun sp => norm_ok (fst sp)) (lawU c m))); [reflexivity|].
  pose proof (lawM_sound c m g) as Hg. pose proof (lawM_sound c m f) as Hf.
  destruct (Qeq_bool (sumL g (lawU c m)) 0) eqn:E.
  - apply Qeq_bool_iff in E.
    assert (Qeq_bool (sumL g (lawM c m)) 0 = true) as E' by (apply Qeq_bool_iff; rewrite Hg; exact E).
    rewrite E'. reflexivity.
  - assert (Qeq_bool (sumL g (lawM c m)) 0 = false) as E'.
    { destruct (Qeq_bool (sumL g (lawM c m)) 0) eqn:X; auto.
      apply Qeq_bool_iff in X. rewrite Hg in X. apply Qeq_bool_iff in X. congruence. }
    rewrite E'. f_equal. apply Qred_complete. rewrite Hf, Hg. reflexivity.
Qed.

Fixpoint times (env : list Q) (ts : list E) : option (list Z) :=
  match ts with
  | [] => Some []
  | e :: r => match evalQ env e, times env r with
              | Some x, Some xs => match qint x with Some z => Some (z :: xs) | None => None end
              | _, _ => None end
  end.

Fixpoint calls_values (lawf : Twin -> nat -> law) (c : Twin) (env : list Q) (calls : list (nat * list E)) : option (list Q) :=
  match calls with
  | [] => Some []
  | (k, ts) :: r =>
      match times env ts, calls_values lawf c env r with
      | Some zs, Some xs => match quantity lawf c k zs with Some q => Some (q :: xs) | None => None end
      | _, _ => None
      end
  end.

(** the values of the calls at a point: [extL lawU] by definition, [extL lawM] computed *)
Definition extL (lawf : Twin -> nat -> law) (sp : TwinSpec) (calls : list (nat * list E)) (env : list Q) : option (list Q) :=
  match instantiate sp env with Some c => calls_values lawf c env calls | None => None end.

Lemma ext_eq : forall sp calls env, extL lawM sp calls env = extL lawU sp calls env.
Proof.
  intros sp calls env. unfold extL. destruct (instantiate sp env) as [c|]; [|reflexivity].
  induction calls as [|[k ts] r IH]; cbn [calls_values]; [reflexivity|].
  rewrite IH. destruct (times env ts) as [zs|]; [|reflexivity].
  destruct (calls_values lawU c env r) as [xs|]; [|reflexivity].
  rewrite quantity_eq. reflexivity.
Qed.

(** The relation at a point of the domain, its quantities those of the twin process there
    (by definition: the law with one entry per index sequence). *)
Definition ClaimExt (r : Rel) (lhs rhs : E) (sp : TwinSpec) (calls : list (nat * list E)) (envR : list R) : Prop :=
  forall envQ, envR = map Q2R envQ ->
  exists xs, extL lawU sp calls (map Qred envQ) = Some xs /\ Claim r lhs rhs (envR ++ map Q2R xs).

Definition checkExt (r : Rel) (lhs rhs : E) (sp : TwinSpec) (calls : list (nat * list E)) (env : list bigQ) : bool :=
  match extL lawM sp calls (map Qred (map BigQ.to_Q env)) with
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
  destruct (extL lawM sp calls (map Qred (map BigQ.to_Q env))) as [xs|] eqn:X; [|discriminate].
  exists xs. split.
  - assert (map Qred envQ = map Qred (map BigQ.to_Q env)) as ->.
    { apply map_Q2R_red. rewrite <- HE. unfold B2R. rewrite map_map. reflexivity. }
    rewrite <- ext_eq. exact X.
  - apply checkB_sound in H. rewrite map_app, map_map in H.
    rewrite (map_ext _ _ B2R_of_Q) in H. exact H.
Qed.

(** The relation fails at a point, its quantities those of the twin process there. *)
Definition RefutedExt (r : Rel) (lhs rhs : E) (sp : TwinSpec) (calls : list (nat * list E)) (point : list Q) : Prop :=
  exists xs, extL lawU sp calls (map Qred point) = Some xs /\ ~ Claim r lhs rhs (map Q2R point ++ map Q2R xs).

Definition refuteExt (r : Rel) (lhs rhs : E) (sp : TwinSpec) (calls : list (nat * list E)) (point : list Q) : bool :=
  match extL lawM sp calls (map Qred point) with
  | Some xs => refuteQ r lhs rhs (point ++ xs)
  | None => false
  end.

Lemma refuteExt_sound : forall r lhs rhs sp calls point,
  refuteExt r lhs rhs sp calls point = true -> RefutedExt r lhs rhs sp calls point.
Proof.
  unfold refuteExt, RefutedExt. intros r lhs rhs sp calls point H.
  destruct (extL lawM sp calls (map Qred point)) as [xs|] eqn:X; [|discriminate].
  exists xs. split; [rewrite <- ext_eq; exact X|].
  apply refuteQ_sound in H. rewrite map_app in H. exact H.
Qed.
