#include "net/error_response.hpp"

#include <boost/json/object.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

namespace sesame::net {

unsigned status_of(errc e) {
    switch (e) {
        case errc::invalid_request:
        case errc::invalid_token:
        case errc::invalid_code:
        case errc::birth_dates_mismatch: return 400;
        case errc::unauthenticated:
        case errc::invalid_credentials:
        case errc::otp_required: return 401;
        case errc::forbidden:
        case errc::password_change_required: return 403;
        case errc::not_found: return 404;
        case errc::conflict:
        case errc::already_exists:
        case errc::ambiguous_contact: return 409;
        case errc::token_expired:
        case errc::flow_expired:
        case errc::flow_closed: return 410;
        case errc::weak_password: return 422;
        case errc::account_locked: return 423;
        case errc::rate_limited: return 429;
        case errc::overloaded: return 503;
    }
    return 500;
}

const char* default_message(errc e) {
    switch (e) {
        case errc::invalid_request: return "La requête est invalide.";
        case errc::invalid_token: return "Ce lien n'est pas valide. Vérifiez que vous l'avez copié en entier.";
        case errc::invalid_code: return "Le code saisi est incorrect.";
        case errc::birth_dates_mismatch: return "Les dates de naissance ne correspondent pas à celles connues de l'établissement.";
        case errc::unauthenticated: return "Vous devez vous connecter.";
        case errc::invalid_credentials: return "Identifiant ou mot de passe incorrect.";
        case errc::otp_required: return "Le code de votre application d'authentification est requis ou incorrect.";
        case errc::forbidden: return "Vous n'avez pas le droit d'effectuer cette action.";
        case errc::password_change_required: return "Vous devez d'abord choisir un nouveau mot de passe.";
        case errc::not_found: return "La ressource demandée n'existe pas.";
        case errc::conflict: return "La requête est en conflit avec l'état actuel.";
        case errc::already_exists: return "Cet élément existe déjà.";
        case errc::ambiguous_contact: return "Plusieurs comptes correspondent. Adressez-vous au secrétariat de l'établissement.";
        case errc::token_expired: return "Ce lien a expiré ou a déjà été utilisé. Faites une nouvelle demande.";
        case errc::flow_expired: return "Le délai est dépassé. Faites une nouvelle demande.";
        case errc::flow_closed: return "Cette demande n'est plus valable. Faites une nouvelle demande.";
        case errc::weak_password: return "Ce mot de passe n'est pas assez sûr.";
        case errc::account_locked: return "Votre compte est temporairement bloqué après plusieurs tentatives infructueuses.";
        case errc::rate_limited: return "Trop de tentatives. Veuillez patienter avant de réessayer.";
        case errc::overloaded: return "Le service est très sollicité. Veuillez réessayer dans quelques instants.";
    }
    return "Une erreur interne est survenue.";
}

const char* to_string(http_errc e) {
    switch (e) {
        case http_errc::bad_origin: return "bad_origin";
        case http_errc::method_not_allowed: return "method_not_allowed";
        case http_errc::body_too_large: return "body_too_large";
        case http_errc::unsupported_media_type: return "unsupported_media_type";
        case http_errc::header_too_large: return "header_too_large";
    }
    return "internal_error";
}

unsigned status_of(http_errc e) {
    switch (e) {
        case http_errc::bad_origin: return 403;
        case http_errc::method_not_allowed: return 405;
        case http_errc::body_too_large: return 413;
        case http_errc::unsupported_media_type: return 415;
        case http_errc::header_too_large: return 431;
    }
    return 500;
}

const char* default_message(http_errc e) {
    switch (e) {
        case http_errc::bad_origin: return "Cette requête ne provient pas du portail.";
        case http_errc::method_not_allowed: return "Cette méthode n'est pas autorisée sur cette adresse.";
        case http_errc::body_too_large: return "La requête est trop volumineuse.";
        case http_errc::unsupported_media_type: return "Le corps de la requête doit être au format JSON.";
        case http_errc::header_too_large: return "Les en-têtes de la requête sont trop volumineux.";
    }
    return "Une erreur interne est survenue.";
}

response error_response(const domain_error& e) {
    boost::json::object body;
    body["error"] = to_string(e.code);
    body["message"] = e.message.empty() ? default_message(e.code) : e.message;
    if (!e.field.empty()) body["field"] = e.field;
    if (e.attempts_left) body["attempts_left"] = *e.attempts_left;
    if (e.code == errc::account_locked)
        body["locked_until"] = e.locked_until ? boost::json::value(format_rfc3339(*e.locked_until)) : nullptr;
    if (!e.reasons.empty()) {
        boost::json::array reasons;
        for (const auto& r : e.reasons) reasons.emplace_back(r);
        body["reasons"] = std::move(reasons);
    }
    if (e.retry_after_s) body["retry_after"] = *e.retry_after_s;
    response r = response::json(status_of(e.code), boost::json::serialize(body));
    if (e.retry_after_s) r.headers.emplace_back("Retry-After", std::to_string(*e.retry_after_s));
    return r;
}

response error_response(http_errc e) {
    boost::json::object body;
    body["error"] = to_string(e);
    body["message"] = default_message(e);
    response r = response::json(status_of(e), boost::json::serialize(body));
    // The rest of an oversized message is not read: the connection cannot
    // carry another request.
    r.close = e == http_errc::body_too_large || e == http_errc::header_too_large;
    return r;
}

response internal_error_response() {
    return response::json(500, R"({"error":"internal_error","message":"Une erreur interne est survenue. Réessayez plus tard."})");
}

}  // namespace sesame::net
