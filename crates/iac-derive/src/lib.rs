//! `#[derive(Refs)]`: the two reference walks of `iac_core::value::HasRefs` generated from a
//! type's fields, so that they cannot drift apart and a new field cannot be forgotten.
//!
//! Every field of a struct, and every field of every variant of an enum, is walked through its
//! own `HasRefs` impl: a field whose type holds no references (a `String`, a `u32`, an enum of
//! names) costs nothing, and a field whose type lacks the trait does not compile. A field is left
//! out only when it says so with `#[refs(skip)]`.
//!
//! The derive also writes the type's `iac_core::sample::Sample` impl (sample values with a fresh
//! reference in every slot, one sample per enum variant), inside `iac_core::__if_testing!`, which
//! keeps it only when iac-core's `testing` feature is on: tests check the walks with it.
//!
//! The generated code names iac-core as `::iac_core`; inside iac-core that path is the crate
//! itself (`extern crate self as iac_core`).

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Fields, Type, parse_macro_input};

/// Derives `iac_core::value::HasRefs` (both walks) and, for tests, `iac_core::sample::Sample`.
///
/// Field attribute `#[refs(skip)]` leaves a field out of the walks (its sample is its
/// `Default`); use it only for a field that cannot hold a reference and whose type cannot
/// implement `HasRefs`.
#[proc_macro_derive(Refs, attributes(refs))]
pub fn derive_refs(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input).unwrap_or_else(syn::Error::into_compile_error).into()
}

/// One way the value can be built: the struct itself, or one variant of the enum.
struct Case {
    /// `Self` or `Self::Variant`.
    path: Tokens,
    shape: Shape,
    fields: Vec<Slot>,
}

#[derive(Clone, Copy)]
enum Shape {
    Named,
    Unnamed,
    Unit,
}

/// One field of a case.
struct Slot {
    /// The field's name (named fields) or position.
    member: syn::Member,
    /// The name it is bound to in a pattern.
    binding: proc_macro2::Ident,
    ty: Type,
    skip: bool,
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let cases = match &input.data {
        Data::Struct(s) => vec![case(quote!(Self), &s.fields)?],
        Data::Enum(e) => {
            if e.variants.is_empty() {
                return Err(syn::Error::new_spanned(&input.ident, "`Refs` needs at least one variant"));
            }
            e.variants
                .iter()
                .map(|v| {
                    let name = &v.ident;
                    case(quote!(Self::#name), &v.fields)
                })
                .collect::<syn::Result<Vec<_>>>()?
        }
        Data::Union(u) => return Err(syn::Error::new_spanned(u.union_token, "`Refs` cannot walk a union")),
    };
    let name = &input.ident;
    let refs_generics = bounded(&input.generics, &quote!(::iac_core::value::HasRefs));
    let (impl_generics, ty_generics, where_clause) = refs_generics.split_for_impl();
    let sample_generics = bounded(&input.generics, &quote!(::iac_core::sample::Sample));
    let (sample_impl_generics, _, sample_where_clause) = sample_generics.split_for_impl();

    let patterns: Vec<Tokens> = cases.iter().map(pattern).collect();
    let collect = cases.iter().map(|c| {
        let bindings = c.fields.iter().filter(|f| !f.skip).map(|f| &f.binding);
        quote!({ #( ::iac_core::value::HasRefs::collect_refs(#bindings, out); )* })
    });
    let rewrite = cases.iter().map(|c| {
        let bindings = c.fields.iter().filter(|f| !f.skip).map(|f| &f.binding);
        quote!({ #( ::iac_core::value::HasRefs::rewrite_refs(#bindings, f); )* })
    });
    let variants = cases.iter().map(case_variants);
    let samples = cases.iter().map(|c| {
        let width = case_variants(c);
        let build = construct(c);
        quote! {
            let width = #width;
            if n < width {
                return #build;
            }
            n -= width;
        }
    });

    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics ::iac_core::value::HasRefs for #name #ty_generics #where_clause {
            #[allow(unused_variables)]
            fn collect_refs(&self, out: &mut ::iac_core::value::Refs) {
                match self { #( #patterns => #collect )* }
            }
            #[allow(unused_variables)]
            fn rewrite_refs(&mut self, f: &mut dyn FnMut(::iac_core::value::RefMut<'_>)) {
                match self { #( #patterns => #rewrite )* }
            }
        }

        ::iac_core::__if_testing! {
            #[automatically_derived]
            impl #sample_impl_generics ::iac_core::sample::Sample for #name #ty_generics #sample_where_clause {
                fn variants() -> usize {
                    0 #( + #variants )*
                }
                #[allow(unused_variables, unused_assignments, unused_mut)]
                fn sample(n: usize, slots: &mut ::iac_core::sample::Slots) -> Self {
                    let mut n = n % <Self as ::iac_core::sample::Sample>::variants();
                    #( #samples )*
                    unreachable!("a sample index is reduced modulo the number of variants")
                }
            }
        }
    })
}

fn case(path: Tokens, fields: &Fields) -> syn::Result<Case> {
    let shape = match fields {
        Fields::Named(_) => Shape::Named,
        Fields::Unnamed(_) => Shape::Unnamed,
        Fields::Unit => Shape::Unit,
    };
    let fields = fields
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let member = field.ident.clone().map_or_else(|| syn::Member::Unnamed(i.into()), syn::Member::Named);
            Ok(Slot { member, binding: format_ident!("__field{i}"), ty: field.ty.clone(), skip: skipped(field)? })
        })
        .collect::<syn::Result<Vec<_>>>()?;
    Ok(Case { path, shape, fields })
}

/// True for a field marked `#[refs(skip)]`.
fn skipped(field: &syn::Field) -> syn::Result<bool> {
    let mut skip = false;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("refs")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") {
                skip = true;
                Ok(())
            } else {
                Err(meta.error("expected `#[refs(skip)]`"))
            }
        })?;
    }
    Ok(skip)
}

/// The pattern binding every walked field of a case (skipped ones are `_`).
fn pattern(case: &Case) -> Tokens {
    let path = &case.path;
    let parts = case.fields.iter().map(|f| {
        let binding = &f.binding;
        let binding = if f.skip { quote!(_) } else { quote!(#binding) };
        match case.shape {
            Shape::Named => {
                let member = &f.member;
                quote!(#member: #binding)
            }
            Shape::Unnamed | Shape::Unit => binding,
        }
    });
    match case.shape {
        Shape::Named => quote!(#path { #( #parts ),* }),
        Shape::Unnamed => quote!(#path( #( #parts ),* )),
        Shape::Unit => quote!(#path),
    }
}

/// How many samples a case needs: the most any of its walked fields needs, at least one.
fn case_variants(case: &Case) -> Tokens {
    let tys = case.fields.iter().filter(|f| !f.skip).map(|f| &f.ty);
    quote!({
        let mut width = 1usize;
        #( width = width.max(<#tys as ::iac_core::sample::Sample>::variants()); )*
        width
    })
}

/// Sample `n` of a case: each walked field's sample `n` (modulo its own count), so that every
/// variant of every field appears in some sample; skipped fields are their default.
fn construct(case: &Case) -> Tokens {
    let path = &case.path;
    let values = case.fields.iter().map(|f| {
        if f.skip {
            return quote!(::core::default::Default::default());
        }
        let ty = &f.ty;
        quote!(<#ty as ::iac_core::sample::Sample>::sample(
            n % <#ty as ::iac_core::sample::Sample>::variants(),
            slots,
        ))
    });
    match case.shape {
        Shape::Named => {
            let members = case.fields.iter().map(|f| &f.member);
            quote!(#path { #( #members: #values ),* })
        }
        Shape::Unnamed => quote!(#path( #( #values ),* )),
        Shape::Unit => quote!(#path),
    }
}

/// The type's generics with `bound` added to every type parameter.
fn bounded(generics: &syn::Generics, bound: &Tokens) -> syn::Generics {
    let mut generics = generics.clone();
    let params: Vec<_> = generics.type_params().map(|p| p.ident.clone()).collect();
    let clause = generics.make_where_clause();
    for param in params {
        clause.predicates.push(syn::parse_quote!(#param: #bound));
    }
    generics
}
